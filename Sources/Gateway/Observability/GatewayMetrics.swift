import NIOCore
public import Prometheus
import Synchronization

/// The gateway's Prometheus metrics, all in one registry served at `/metrics`.
public final class GatewayMetrics: Sendable {
    /// The registry the metrics live in.
    public let registry: PrometheusCollectorRegistry
    let connections: Gauge
    let streams: Gauge
    let messagesSent: Counter
    let bytesSent: Counter
    let slowClientCloses: Counter
    let expiredTokenCloses: Counter
    let clears: Counter
    let marks: Counter
    let resumesRecovered: Counter
    let resumesMissed: Counter
    let markEchoes: Counter
    let invalidMarkEchoes: Counter
    let sequenceGaps: Counter
    let staleEpochMessages: Counter
    let sourceTakeOvers: Counter
    let busMessages: Counter
    let invalidBusMessages: Counter
    let subscribedStreams: Gauge
    let busPeers: Gauge
    let unwantedBusMessages: Counter
    let replayedChunks: Counter
    let mergedChunks: Counter
    let skippedChunks: Counter
    let lateness: DurationHistogram
    /// The Twilio Media Streams endpoint's figures.
    let twilio: TwilioMetrics
    /// Monotonic nanoseconds of the last heartbeat from any encoder; `/readyz` checks it.
    let lastHeartbeat = Atomic<UInt64>(0)
    /// Set at SIGTERM (graceful shutdown): `/readyz` answers 503 and upgrades are refused from then on.
    let draining = Atomic<Bool>(false)
    /// WebSocket clients now: connections that were let through to the upgrade and are not yet closed.
    let clientCount = Atomic<Int>(0)

    /// Takes one of `limit` client places for `channel` before its upgrade, and gives it back when
    /// the channel closes; false (nothing taken) when all are taken.
    ///
    /// Taken in one atomic step at the decision, not when the listener is added after the 101 is
    /// written: otherwise clients upgrading at the same moment could all pass the check.
    func reserveClientPlace(for channel: any Channel, limit: Int) -> Bool {
        guard self.clientCount.wrappingAdd(1, ordering: .relaxed).newValue <= limit else {
            self.clientCount.subtract(1, ordering: .relaxed)
            return false
        }
        channel.closeFuture.whenComplete { _ in
            self.clientCount.subtract(1, ordering: .relaxed)
        }
        return true
    }

    /// Creates the metrics in `registry`.
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        func counter(_ name: String, _ help: String) -> Counter {
            registry.makeCounter(
                descriptor: .init(namespace: "wavecast_gateway", metricName: name, unitName: "total", helpText: help)
            )
        }
        func gauge(_ name: String, _ help: String) -> Gauge {
            registry.makeGauge(
                descriptor: .init(namespace: "wavecast_gateway", metricName: name, unitName: "", helpText: help)
            )
        }
        self.twilio = TwilioMetrics(registry: registry)
        self.connections = gauge("connections", "WebSocket clients connected")
        self.streams = gauge("streams", "Streams known from the bus")
        self.messagesSent = counter("messages_sent", "WebSocket messages written to clients")
        self.bytesSent = counter("bytes_sent", "WebSocket bytes written to clients")
        self.slowClientCloses = counter("slow_client_closes", "Clients closed with 1013 for falling behind")
        self.expiredTokenCloses = counter("expired_token_closes", "Clients closed with 4401 when their token ran out")
        self.clears = counter("clears", "Clears (barge-in) from the bus: a stream's waiting chunks dropped")
        self.marks = counter("marks", "Playback marks from the bus")
        self.resumesRecovered = counter(
            "resumes_recovered",
            "Clients reconnecting with ?resume= that got every chunk they missed"
        )
        self.resumesMissed = counter(
            "resumes_missed",
            "Clients reconnecting with ?resume= whose chunks were gone (epoch changed, window passed) and got a burst"
        )
        self.markEchoes = counter("mark_echoes", "Mark echoes from listeners: they played up to the mark")
        self.invalidMarkEchoes = counter(
            "invalid_mark_echoes",
            "Mark echoes naming no mark awaiting an echo on that connection, answered with an error"
        )
        self.sequenceGaps = counter("sequence_gaps", "Chunks missing from the bus, by sequence number")
        self.staleEpochMessages = counter(
            "stale_epoch_messages",
            "Bus messages of a stream's old incarnation (another epoch) ignored while the one followed is alive"
        )
        self.sourceTakeOvers = counter(
            "source_takeovers",
            "Streams that moved to a new incarnation (another epoch: played again, or on another encoder)"
        )
        self.busMessages = counter("bus_messages", "Messages received from the bus")
        self.invalidBusMessages = counter("invalid_bus_messages", "Bus messages rejected as malformed")
        self.busPeers = gauge(
            "bus_peers",
            "Encoder addresses the bus socket connects to (names resolved to each address)"
        )
        self.subscribedStreams = gauge("subscribed_streams", "Streams this gateway subscribes to on the bus")
        self.unwantedBusMessages = counter(
            "unwanted_bus_messages",
            "Bus messages of streams not subscribed, let through by a prefix of a subscribed stream id"
        )
        self.replayedChunks = counter(
            "replayed_chunks",
            "Chunks of an encoder's replay sent at once to a stream's first listeners on this gateway"
        )
        self.mergedChunks = counter("merged_chunks", "Chunks sent together with earlier ones because a loop ran behind")
        self.skippedChunks = counter("skipped_chunks", "Chunks dropped because a loop fell more than 100 chunks behind")
        self.lateness = registry.makeDurationHistogram(
            descriptor: .init(
                namespace: "wavecast_gateway",
                metricName: "send_lateness",
                unitName: "seconds",
                helpText: "How long after its deadline a chunk's fan-out on one event loop finished"
            ),
            buckets: [
                .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
                .milliseconds(10), .milliseconds(20), .milliseconds(50), .milliseconds(100), .milliseconds(500),
            ]
        )
    }

    /// Counts a refused WebSocket handshake by HTTP status.
    func countRejectedHandshake(status: Int) {
        self.registry.makeCounter(
            descriptor: .init(
                namespace: "wavecast_gateway",
                metricName: "rejected_handshakes",
                unitName: "total",
                helpText: "WebSocket handshakes refused, by HTTP status"
            ),
            labels: [("status", String(status))]
        ).increment()
    }
}
