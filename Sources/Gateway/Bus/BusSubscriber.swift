import Logging
import NIOCore
import Synchronization
import WavecastCore
import ZeroMQ

/// The gateway's bus thread: a ZeroMQ SUB socket connected to every encoder, feeding the router.
///
/// libzmq reconnects by itself when an encoder restarts, so the socket is made once. The thread
/// polls with a short timeout so it can expire silent streams and notice a stop request.
final class BusSubscriber: Sendable {
    private let endpoints: [String]
    private let logger: Logger
    private let metrics: GatewayMetrics
    private let stopRequested = Atomic<Bool>(false)

    init(endpoints: [String], logger: Logger, metrics: GatewayMetrics) {
        self.endpoints = endpoints
        self.logger = logger
        self.metrics = metrics
    }

    /// Asks the loop to return.
    func requestStop() {
        self.stopRequested.store(true, ordering: .releasing)
    }

    /// Subscribes and serves until ``requestStop()``; call on a thread of its own.
    ///
    /// - Throws: ``ZMQError`` when the socket cannot be made or an endpoint is malformed.
    func run(context: ZMQContext, router: inout StreamRouter) throws(ZMQError) {
        let socket = try ZMQSocket(context: context, type: .subscriber)
        defer { socket.close() }
        // Deep enough for a burst of thousands of streams; past it libzmq drops and sequence numbers show it.
        try socket.setReceiveHighWaterMark(100_000)
        try socket.subscribe()
        for endpoint in self.endpoints {
            try socket.connect(endpoint)
            self.logger.info("Subscribed to the bus", metadata: ["bus": "\(endpoint)"])
        }
        var lastExpiry = NIODeadline.now().uptimeNanoseconds
        while !self.stopRequested.load(ordering: .acquiring) {
            let readable: Bool
            do {
                readable = try socket.waitReadable(timeoutMilliseconds: 100)
            } catch {
                if error.isContextTerminated { return }
                throw error
            }
            if readable {
                // Bounded so expiry and stop requests are still looked at under a flood.
                for _ in 0..<1024 {
                    guard let frames = try? socket.receive(dontWait: true) else { break }
                    let arrival = NIODeadline.now().uptimeNanoseconds
                    self.metrics.busMessages.increment()
                    do {
                        router.handle(try BusMessage(frames: frames), arrival: arrival)
                    } catch {
                        self.metrics.invalidBusMessages.increment()
                        self.logger.warning("Ignored a malformed bus message", metadata: ["error": "\(error)"])
                    }
                }
            }
            let now = NIODeadline.now().uptimeNanoseconds
            if now &- lastExpiry > 500_000_000 {
                router.expireSilentStreams(now: now)
                lastExpiry = now
            }
        }
    }
}
