public import Prometheus
import Synchronization

/// The encoder's Prometheus metrics, all in one registry served at `/metrics`.
public final class EncoderMetrics: Sendable {
    /// The registry the metrics live in.
    public let registry: PrometheusCollectorRegistry
    let streams: Gauge
    let chunksPublished: Counter
    let framesPublished: Counter
    let bytesPublished: Counter
    let heartbeats: Counter
    let subscriptions: Counter
    let chunksReplayed: Counter
    let lateness: DurationHistogram
    let encodedSeconds: Counter
    let clears: Counter
    let marks: Counter
    let markFlushFrames: Counter
    let markReports: Counter
    let invalidMarkReports: Counter
    /// The request counter of each operation, made once.
    private let requestCounters: [IngestOperation: Counter]
    /// The counter of requests that could not be decoded (`op="invalid"`).
    private let invalidRequests: Counter
    /// Monotonic nanoseconds of the reactor's last loop turn; `/healthz` fails when it stops moving.
    let reactorPulse = Atomic<UInt64>(0)

    /// Creates the metrics in `registry`.
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        self.requestCounters = Dictionary(
            uniqueKeysWithValues: IngestOperation.allCases.map {
                ($0, Self.requestCounter(op: $0.rawValue, in: registry))
            }
        )
        self.invalidRequests = Self.requestCounter(op: "invalid", in: registry)
        self.streams = registry.makeGauge(
            descriptor: .init(
                namespace: "wavecast_encoder",
                metricName: "streams",
                unitName: "",
                helpText: "Streams playing or open"
            )
        )
        self.subscriptions = registry.makeCounter(
            descriptor: .init(
                namespace: "wavecast_encoder",
                metricName: "stream_subscriptions",
                unitName: "total",
                helpText: "Subscriptions to one stream's topic received on the bus (each answered with a replay)"
            )
        )
        self.chunksReplayed = registry.makeCounter(
            descriptor: .init(
                namespace: "wavecast_encoder",
                metricName: "chunks_replayed",
                unitName: "total",
                helpText: "Chunks sent again from a stream's recent window to a new subscriber"
            )
        )
        self.clears = registry.makeCounter(
            descriptor: .init(
                namespace: "wavecast_encoder",
                metricName: "clears",
                unitName: "total",
                helpText: "Clears (barge-in) published: a stream's queued audio dropped"
            )
        )
        self.marks = registry.makeCounter(
            descriptor: .init(
                namespace: "wavecast_encoder",
                metricName: "marks",
                unitName: "total",
                helpText: "Playback marks published on the bus"
            )
        )
        self.markFlushFrames = registry.makeCounter(
            descriptor: .init(
                namespace: "wavecast_encoder",
                metricName: "mark_flush_frames",
                unitName: "total",
                helpText: "MP3 frames a live stream's LAME was flushed of for a mark (the last padded with silence)"
            )
        )
        self.markReports = registry.makeCounter(
            descriptor: .init(
                namespace: "wavecast_encoder",
                metricName: "mark_reports",
                unitName: "total",
                helpText: "Mark reports (sends, echoes, cuts) received from gateways"
            )
        )
        self.invalidMarkReports = registry.makeCounter(
            descriptor: .init(
                namespace: "wavecast_encoder",
                metricName: "invalid_mark_reports",
                unitName: "total",
                helpText: "Malformed mark reports from gateways, ignored"
            )
        )
        self.chunksPublished = registry.makeCounter(
            descriptor: .init(
                namespace: "wavecast_encoder",
                metricName: "chunks_published",
                unitName: "total",
                helpText: "Chunks published on the bus"
            )
        )
        self.framesPublished = registry.makeCounter(
            descriptor: .init(
                namespace: "wavecast_encoder",
                metricName: "frames_published",
                unitName: "total",
                helpText: "MP3 frames published on the bus"
            )
        )
        self.bytesPublished = registry.makeCounter(
            descriptor: .init(
                namespace: "wavecast_encoder",
                metricName: "mp3_bytes_published",
                unitName: "total",
                helpText: "MP3 bytes published on the bus"
            )
        )
        self.heartbeats = registry.makeCounter(
            descriptor: .init(
                namespace: "wavecast_encoder",
                metricName: "heartbeats",
                unitName: "total",
                helpText: "Heartbeats published on the bus"
            )
        )
        self.encodedSeconds = registry.makeCounter(
            descriptor: .init(
                namespace: "wavecast_encoder",
                metricName: "encoded_audio",
                unitName: "seconds_total",
                helpText: "Seconds of audio encoded to MP3"
            )
        )
        self.lateness = registry.makeDurationHistogram(
            descriptor: .init(
                namespace: "wavecast_encoder",
                metricName: "publication_lateness",
                unitName: "seconds",
                helpText: "How long after its deadline each chunk was published"
            ),
            buckets: [
                .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
                .milliseconds(5), .milliseconds(10), .milliseconds(20), .milliseconds(50), .milliseconds(100),
            ]
        )
    }

    /// Counts a request by operation; `nil` counts one that could not be decoded.
    func countRequest(_ operation: IngestOperation?) {
        // Looked up in a table made once: asking the registry builds the name and takes its lock,
        // which at thousands of `pcm` requests a second is a cost of its own.
        if let operation, let counter = self.requestCounters[operation] {
            counter.increment()
        } else {
            self.invalidRequests.increment()
        }
    }

    private static func requestCounter(op: String, in registry: PrometheusCollectorRegistry) -> Counter {
        registry.makeCounter(
            descriptor: .init(
                namespace: "wavecast_encoder",
                metricName: "ingest_requests",
                unitName: "total",
                helpText: "Ingest requests received, by operation"
            ),
            labels: [("op", op)]
        )
    }

    /// Counts a CURVE handshake refused on `socket` (`ingest` or `bus`): an unknown key, or none.
    func countAuthFailure(socket: String) {
        self.registry.makeCounter(
            descriptor: .init(
                namespace: "wavecast_encoder",
                metricName: "auth_failures",
                unitName: "total",
                helpText: "CURVE handshakes refused by the allow-lists (a key not on them), by socket"
            ),
            labels: [("socket", socket)]
        ).increment()
    }

    /// Counts a request refused with error `code`.
    func countError(code: String) {
        self.registry.makeCounter(
            descriptor: .init(
                namespace: "wavecast_encoder",
                metricName: "ingest_errors",
                unitName: "total",
                helpText: "Ingest requests refused, by error code"
            ),
            labels: [("code", code)]
        ).increment()
    }
}
