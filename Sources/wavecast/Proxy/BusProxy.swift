import Logging
import Synchronization
import ZeroMQ

/// The bus proxy: an XSUB that encoders connect to (the frontend) and an XPUB that gateways connect to (the
/// backend), with libzmq's proxy forwarding between them both ways.
///
/// Down: every message an encoder publishes (chunks, heartbeats, catalogues, replays) goes to the gateways
/// subscribed to its topic; the backend XPUB filters by subscription as an encoder's XPUB does.
/// Up: every subscription and unsubscription a gateway sends, and every other message (its `BusMarkReport`s),
/// goes to every connected encoder; the frontend XSUB sends non-subscription messages to all of them.
///
/// Two options make the proxy invisible to encoders and gateways:
/// - `ZMQ_XPUB_VERBOSER` on the backend: a plain XPUB passes only the first subscription to a topic, so the
///   second gateway to want a stream would never reach the encoder, which would never replay the stream's
///   recent chunks to it; that gateway's first listener would wait for live audio (the gateway's replay wait,
///   250 ms) instead of starting at once. VERBOSER passes every subscription and also every unsubscription,
///   which the frontend XSUB needs to count: it tells encoders a topic is no longer wanted only when the last
///   of its subscriptions is withdrawn (with VERBOSE alone it would count every subscription but only the last
///   unsubscription, and keep every stream ever wanted flowing to the proxy).
/// - High-water marks as deep as the encoder's bus (100,000 messages per connection), so a proxy adds no
///   earlier drop point than a direct connection has.
///
/// One thread, the caller of ``run(context:)``, makes, binds, uses and closes the three sockets (frontend,
/// backend, control). ``requestStop(context:)``, from any thread, steers it through the control socket with a
/// ``ZMQProxyController`` of its own.
final class BusProxy: Sendable {
    /// Where encoders connect (their `--bus-connect`).
    let frontendEndpoint: String
    /// Where gateways connect (their `--bus`).
    let backendEndpoint: String
    private let keyring: ProxyKeyring?
    private let logger: Logger
    /// The control socket's endpoint, inside the process.
    private let controlEndpoint = "inproc://wavecast-proxy-control"
    private let controlBound = Atomic<Bool>(false)
    private let stopRequested = Atomic<Bool>(false)

    /// As deep as the encoder's bus socket (`EncoderReactor`): room for a burst across thousands of streams.
    static let highWaterMark: Int32 = 100_000

    init(frontendEndpoint: String, backendEndpoint: String, keyring: ProxyKeyring?, logger: Logger) {
        self.frontendEndpoint = frontendEndpoint
        self.backendEndpoint = backendEndpoint
        self.keyring = keyring
        self.logger = logger
    }

    /// Binds both sides and forwards until ``requestStop(context:)``; blocks the calling thread.
    ///
    /// - Throws: ``ZMQError`` when a side cannot be bound (address in use, malformed endpoint), or libzmq fails.
    func run(context: ZMQContext) throws(ZMQError) {
        let control = try ZMQSocket(context: context, type: .pair)
        defer { control.close() }
        // Never block on a statistics answer to a controller that has gone: fail the send, and stop.
        try control.setSendTimeout(milliseconds: 1000)
        try control.bind(self.controlEndpoint)
        // With `requestStop`'s two steps in the other order, a stop asked at any moment is seen: either it finds
        // the control socket bound and sends `TERMINATE`, or this load finds the flag set (both sequentially
        // consistent, so they cannot both miss each other).
        self.controlBound.store(true, ordering: .sequentiallyConsistent)
        if self.stopRequested.load(ordering: .sequentiallyConsistent) { return }

        let frontend = try ZMQSocket(context: context, type: .extendedSubscriber)
        defer { frontend.close() }
        if let keyring = self.keyring, keyring.encoders != nil {
            try frontend.makeCurveServer(keys: keyring.keys, domain: ProxyKeyring.frontendDomain)
        }
        try frontend.setReceiveHighWaterMark(Self.highWaterMark)
        try frontend.setSendHighWaterMark(Self.highWaterMark)
        try frontend.bind(self.frontendEndpoint)
        self.logger.info(
            "Proxy frontend bound: encoders publish here (--bus-connect)",
            metadata: ["frontend": "\(frontend.lastEndpoint)", "curve": "\(self.keyring?.encoders != nil)"]
        )

        let backend = try ZMQSocket(context: context, type: .extendedPublisher)
        defer { backend.close() }
        if let keyring = self.keyring, keyring.gateways != nil {
            try backend.makeCurveServer(keys: keyring.keys, domain: ProxyKeyring.backendDomain)
        }
        try backend.setPassesEveryUnsubscription(true)
        try backend.setReceiveHighWaterMark(Self.highWaterMark)
        try backend.setSendHighWaterMark(Self.highWaterMark)
        try backend.bind(self.backendEndpoint)
        self.logger.info(
            "Proxy backend bound: gateways subscribe here (--bus)",
            metadata: ["backend": "\(backend.lastEndpoint)", "curve": "\(self.keyring?.gateways != nil)"]
        )

        do {
            try ZMQProxy.run(frontend: frontend, backend: backend, control: control)
        } catch {
            // A statistics answer that could not be sent because the stopping controller had gone: a stop.
            guard self.stopRequested.load(ordering: .sequentiallyConsistent) else { throw error }
        }
    }

    /// Makes ``run(context:)`` return, logging what the proxy forwarded; from any thread, once or more.
    func requestStop(context: ZMQContext) {
        self.stopRequested.store(true, ordering: .sequentiallyConsistent)
        guard self.controlBound.load(ordering: .sequentiallyConsistent) else { return }
        do throws(ZMQError) {
            let controller = try ZMQProxyController(context: context, endpoint: self.controlEndpoint)
            defer { controller.close() }
            if let statistics = try controller.statistics(timeoutMilliseconds: 1000) {
                self.logger.info(
                    "Proxy stopping",
                    metadata: [
                        "down.messages": "\(statistics.backendSent.messages)",
                        "down.bytes": "\(statistics.backendSent.bytes)",
                        "up.messages": "\(statistics.frontendSent.messages)",
                        "up.bytes": "\(statistics.frontendSent.bytes)",
                    ]
                )
            }
            try controller.send(.terminate)
        } catch {
            self.logger.error("Could not stop the proxy", metadata: ["error": "\(error)"])
        }
    }
}
