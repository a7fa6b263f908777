public import NIOCore
public import WavecastCore
public import WavecastTokens
public import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

/// Everything that sets up a gateway; each field has a command-line option of the same meaning.
public struct GatewayConfiguration: Sendable {
    /// Encoder bus endpoints to subscribe to (`--bus`, repeatable).
    public var busEndpoints: [String]
    /// How often the host names among ``busEndpoints`` are resolved again, each to every address it has
    /// (`--bus-resolve-ms`): encoders behind a name that come and go are followed within one interval.
    public var busResolveInterval: Duration = .seconds(5)
    /// The CURVE keys the bus socket presents, and the encoders' public key (`--curve-key-file`,
    /// `--bus-server-key-file`); `nil` subscribes without CURVE.
    public var busCurve: CurveClientKeys?
    /// Checks listeners' tokens (`--token-secret-file`); `nil` lets anyone listen (`--auth off`).
    public var tokens: TokenSigner?
    /// Streams anyone may listen to without a token when ``tokens`` is set (`--public-streams`):
    /// stream ids, or prefixes ending in `*`, as in a token's `streams` claim.
    public var publicStreams: [String] = []
    /// WebSocket connection attempts allowed per source address per second (`--max-connects-per-second`);
    /// 0: no cap. More get 429 before the upgrade.
    public var maxConnectsPerSecond = 0
    /// How long a Twilio call waits for its stream to go live before it is closed as an unknown stream
    /// (`--twilio-stream-wait-ms`); once the stream has been live, the call stays until Twilio stops it.
    public var twilioStreamWait: Duration = .seconds(10)
    /// Address the HTTP/WebSocket server listens on (`--listen`).
    public var host: String
    /// Port the HTTP/WebSocket server listens on; 0 picks a free one.
    public var port: Int
    /// The stream `GET /ws` serves (`--default-stream`).
    public var defaultStream: StreamID
    /// Delay added to each stream's anchor to absorb bus jitter (`--jitter-ms`).
    public var jitter: Duration
    /// Recent audio sent at once to a new client (`--burst-ms`); zero for lowest latency.
    public var burst: Duration
    /// How long a client may stay unable to take more data before it is closed with 1013 (`--max-client-lag-ms`).
    public var maxClientLag: Duration
    /// Most WebSocket clients at once (`--max-clients`); more get 503 before the upgrade.
    public var maxClients: Int
    /// Origins allowed to connect (`--allowed-origins`); `nil` allows any.
    public var allowedOrigins: Set<String>?
    /// A stream silent for this long is forgotten.
    public var streamTimeout: Duration
    /// `/readyz` fails when no heartbeat arrived for this long.
    public var heartbeatTimeout: Duration
    /// A client silent for this long is pinged, and again this often while it stays silent (`--ping-interval-ms`).
    public var pingInterval: Duration
    /// A client silent (no frame, no pong) for this long is closed with 1001 (`--idle-timeout-ms`).
    public var idleTimeout: Duration
    /// How long a connection may take to send a whole HTTP request (a handshake), or stay idle
    /// between keep-alive requests, before it is closed (`--request-timeout-ms`).
    public var requestTimeout: Duration
    /// Largest frame a client may send, in bytes; larger closes with 1009.
    public var maxClientFrameBytes: Int
    /// Event loop threads serving clients (`--threads`).
    public var eventLoopThreads: Int
    /// This gateway's name in the `X-Wavecast-Gateway` response header (default: the host name).
    public var instanceName: String
    /// How long the gateway stays subscribed to a stream on the bus after its last listener left (`--unsubscribe-delay-ms`).
    public var unsubscribeDelay: Duration
    /// Listeners written per group when a chunk's fan-out is spread over its first half (0: one loop).
    public var fanoutGroupSize: Int
    /// How much of each followed stream's recent audio is kept for clients reconnecting with `?resume=`
    /// (`--resume-window-ms`); never less than ``burst``.
    public var resumeWindow: Duration = .seconds(10)
    /// How long a stopping gateway takes to close its clients, spread evenly over it, after turning
    /// not-ready and refusing new ones (`--drain-ms`, lame-duck mode); zero closes them all at once.
    public var drain: Duration = .seconds(5)

    /// Creates a configuration; the defaults are those of `wavecast-gateway` with no options.
    public init(
        busEndpoints: [String] = ["tcp://127.0.0.1:5556"],
        host: String = "0.0.0.0",
        port: Int = 8080,
        defaultStream: StreamID = try! StreamID("demo"),
        jitter: Duration = .milliseconds(40),
        burst: Duration = .milliseconds(300),
        maxClientLag: Duration = .milliseconds(2000),
        maxClients: Int = 20_000,
        allowedOrigins: Set<String>? = nil,
        streamTimeout: Duration = .seconds(10),
        heartbeatTimeout: Duration = .seconds(3),
        pingInterval: Duration = .seconds(20),
        idleTimeout: Duration = .seconds(60),
        requestTimeout: Duration = .seconds(10),
        maxClientFrameBytes: Int = 4096,
        eventLoopThreads: Int = System.coreCount,
        instanceName: String = GatewayConfiguration.hostName,
        fanoutGroupSize: Int = 0,
        unsubscribeDelay: Duration = .seconds(5)
    ) {
        self.busEndpoints = busEndpoints
        self.host = host
        self.port = port
        self.defaultStream = defaultStream
        self.jitter = jitter
        self.burst = burst
        self.maxClientLag = maxClientLag
        self.maxClients = maxClients
        self.allowedOrigins = allowedOrigins
        self.streamTimeout = streamTimeout
        self.heartbeatTimeout = heartbeatTimeout
        self.pingInterval = pingInterval
        self.idleTimeout = idleTimeout
        self.requestTimeout = requestTimeout
        self.maxClientFrameBytes = maxClientFrameBytes
        self.eventLoopThreads = eventLoopThreads
        self.instanceName = instanceName
        self.fanoutGroupSize = fanoutGroupSize
        self.unsubscribeDelay = unsubscribeDelay
    }

    /// The machine's (or container's) host name.
    public static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "gateway" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
