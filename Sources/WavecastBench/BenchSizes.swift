/// How big each section's measurements are: the full run's sizes, or `--quick`'s smaller ones for a smoke run.
public struct BenchSizes: Sendable, Hashable {
    /// Length of the voice sample the encode section times, in seconds.
    public var inputSeconds: Int
    /// The encode section reports the best of this many runs, for wavecast and for ffmpeg.
    public var encodeRuns: Int
    /// Concurrent looping streams of the encoder section.
    public var streamCounts: [Int]
    /// Measurement window per stream count (and per live stream count), in seconds.
    public var streamSeconds: Int
    /// WebSocket clients on one gateway (and on the C baseline).
    public var clientCounts: [Int]
    /// The load tool's window per client count, after its ramp, in seconds.
    public var clientSeconds: Int
    /// How long live PCM is fed for the end-to-end latency, in seconds.
    public var latencySeconds: Int
    /// Streams × listeners of each stream, for the shapes section.
    public var shapes: [StreamShape]
    /// Streams on the bus with no listener.
    public var idleStreams: [Int]
    /// Streams × 1 listener through HAProxy, for the balancing section.
    public var tierShape: StreamShape
    /// Gateways behind HAProxy.
    public var tierGateways: Int
    /// Live streams fed 20 ms pcm pieces.
    public var liveStreams: [Int]
    /// Listeners of one stream for the security section's fan-out (CURVE off / on, tokens on).
    public var securityListeners: Int
    /// Looping streams on the bus for the security section's throughput on one bus subscriber (CURVE off / on).
    public var securityStreams: Int
    /// Looping streams, one listener each, for the security section's gateway on a CURVE bus (off / on): fewer
    /// than ``securityStreams``, since 4,000 × 1 is already at the gateway's edge on 2 cores (the shapes section)
    /// and an overloaded run hides what CURVE adds.
    public var securityGatewayStreams: Int
    /// Sequential WebSocket handshakes per token setting, for the security section's upgrade time.
    public var handshakes: Int
    /// Looping streams read direct and through the bus proxy, for the proxy section (its CPU per message and the
    /// latency its hop adds).
    public var proxyStreams: [Int]

    /// The full run's sizes (about an hour in all on 2 cores).
    public static let full = BenchSizes(
        inputSeconds: 60,
        encodeRuns: 5,
        streamCounts: [100, 500, 1000, 2000, 4000],
        streamSeconds: 10,
        clientCounts: [1000, 2500, 5000, 7500, 10000],
        clientSeconds: 20,
        latencySeconds: 20,
        shapes: [
            .init(streams: 1, listeners: 5000), .init(streams: 100, listeners: 50),
            .init(streams: 1000, listeners: 2), .init(streams: 4000, listeners: 1),
        ],
        idleStreams: [1000, 5000],
        tierShape: .init(streams: 2000, listeners: 1),
        tierGateways: 4,
        liveStreams: [300, 1000],
        securityListeners: 5000,
        securityStreams: 4000,
        securityGatewayStreams: 1000,
        handshakes: 5000,
        proxyStreams: [100, 1000, 4000]
    )

    /// `--quick`: smaller sizes and shorter windows, for a smoke run.
    public static let quick = BenchSizes(
        inputSeconds: 20,
        encodeRuns: 3,
        streamCounts: [100, 500],
        streamSeconds: 3,
        clientCounts: [500, 1000],
        clientSeconds: 5,
        latencySeconds: 5,
        shapes: [
            .init(streams: 1, listeners: 500), .init(streams: 100, listeners: 5),
            .init(streams: 500, listeners: 2), .init(streams: 1000, listeners: 1),
        ],
        idleStreams: [1000],
        tierShape: .init(streams: 500, listeners: 1),
        tierGateways: 4,
        liveStreams: [100, 300],
        securityListeners: 1000,
        securityStreams: 500,
        securityGatewayStreams: 250,
        handshakes: 1000,
        proxyStreams: [250]
    )
}

/// S streams × L listeners of each stream (N = S × L clients), written `SxL` (`1000x2`).
public struct StreamShape: Sendable, Hashable, CustomStringConvertible {
    /// How many streams.
    public var streams: Int
    /// How many listeners each stream has.
    public var listeners: Int

    /// Creates a shape of `streams` × `listeners`.
    public init(streams: Int, listeners: Int) {
        self.streams = streams
        self.listeners = listeners
    }

    /// Parses `SxL` (both positive), or returns `nil`.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 2, let streams = Int(parts[0]), let listeners = Int(parts[1]), streams > 0,
            listeners > 0
        else { return nil }
        self.init(streams: streams, listeners: listeners)
    }

    /// The clients in all: S × L.
    public var clients: Int { self.streams * self.listeners }

    /// `SxL`, as written in WAVECAST_BENCH_SHAPES.
    public var description: String { "\(self.streams)x\(self.listeners)" }
}
