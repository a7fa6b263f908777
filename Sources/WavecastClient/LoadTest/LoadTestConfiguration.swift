import NIOCore

/// What a ``LoadTest`` does: how many connections to which streams, for how long.
public struct LoadTestConfiguration: Sendable {
    /// The gateway's stream address, e.g. `ws://127.0.0.1:8080/ws/demo`; with several ``streams``, `{n}` in it
    /// stands for the stream's number, e.g. `ws://127.0.0.1:8080/ws/call-{n}`.
    public var url: WebSocketURL
    /// How many connections to open.
    public var clients: Int
    /// Over how many streams the clients are spread: client *i* listens to stream `i % streams`.
    public var streams: Int
    /// How long to hold them once the ramp is over, in seconds.
    public var seconds: Double
    /// Over how many seconds to spread the connects (evenly).
    public var rampSeconds: Double
    /// Event loop threads.
    public var threads: Int
    /// At most this many connects in flight at once (TCP connect plus upgrade).
    public var maxConnecting: Int
    /// Lateness is recorded from this long after the ramp ends, in seconds, so joins and their
    /// bursts settle first.
    public var settleSeconds: Double
    /// How long, at the end, to wait for the server's answers to the close frames, in seconds.
    public var graceSeconds: Double

    /// One event loop thread per core.
    public static var defaultThreads: Int { System.coreCount }

    /// Creates a configuration; every parameter but `url` has a default.
    public init(
        url: WebSocketURL,
        clients: Int = 100,
        streams: Int = 1,
        seconds: Double = 10,
        rampSeconds: Double = 1,
        threads: Int = 2,
        maxConnecting: Int = 256,
        settleSeconds: Double = 1,
        graceSeconds: Double = 2
    ) {
        self.url = url
        self.clients = clients
        self.streams = max(1, streams)
        self.seconds = seconds
        self.rampSeconds = rampSeconds
        self.threads = threads
        self.maxConnecting = maxConnecting
        self.settleSeconds = settleSeconds
        self.graceSeconds = graceSeconds
    }

    /// The placeholder in ``url`` for a stream's number.
    public static let streamPlaceholder = "{n}"

    /// The address client `index` connects to: ``url`` with `{n}` replaced by its stream's number, zero-padded to
    /// the width of the largest (`call-007` of 1,000), so no stream id is a prefix of another.
    public func url(forClient index: Int) -> WebSocketURL {
        guard self.url.target.contains(Self.streamPlaceholder) else { return self.url }
        let number = String(index % self.streams)
        let width = String(self.streams - 1).count
        var url = self.url
        url.target = url.target.replacing(
            Self.streamPlaceholder,
            with: String(repeating: "0", count: max(0, width - number.count)) + number
        )
        return url
    }
}
