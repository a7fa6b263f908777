import Logging
import NIOConcurrencyHelpers
import Synchronization
import WavecastCore
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

/// The encoder's socket thread: it owns the ingest ROUTER and the bus PUB socket, and the clock.
///
/// One thread does all of it because ZeroMQ sockets belong to one thread: it answers requests,
/// hands encoding to the ``EncodingPool``, takes back results through a mailbox and a self-pipe,
/// and publishes every due chunk from the ``StreamScheduler``'s deadline heap, sleeping in
/// `zmq_poll` until the next deadline or the next request.
final class EncoderReactor: Sendable {
    private let configuration: EncoderConfiguration
    private let logger: Logger
    private let metrics: EncoderMetrics
    private let pool: EncodingPool
    private let mailbox = NIOLockedValueBox<[EncodingResult]>([])
    private let wakeSignal = WakeSignal()
    private let stopRequested = Atomic<Bool>(false)

    init(configuration: EncoderConfiguration, logger: Logger, metrics: EncoderMetrics, pool: EncodingPool) {
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
        self.pool = pool
    }

    /// Hands an encoding result to the reactor thread (called on encoding threads).
    func deliver(_ result: EncodingResult) {
        // Only the first result since the reactor last took them needs a wake-up (a system call).
        let wasEmpty = self.mailbox.withLockedValue { mailbox in
            mailbox.append(result)
            return mailbox.count == 1
        }
        if wasEmpty {
            self.wakeSignal.wake()
        }
    }

    /// Asks the loop to end every stream and return.
    func requestStop() {
        self.stopRequested.store(true, ordering: .releasing)
        self.wakeSignal.wake()
    }

    /// Binds the sockets in `context` and serves until ``requestStop()``; call on a thread of its own.
    ///
    /// - Parameter onBound: Called once both sockets are bound, with their resolved endpoints
    ///   (ingest, publish), or with the error that stopped them binding.
    func run(context: ZMQContext, onBound: (Result<(String, String), ZMQError>) -> Void) {
        let router: ZMQSocket
        let publisher: ZMQSocket
        do {
            router = try ZMQSocket(context: context, type: .router)
            try router.setReceiveHighWaterMark(10_000)
            try router.setSendHighWaterMark(10_000)
            try router.bind(self.configuration.ingestEndpoint)
            // XPUB: it hears each subscription, and answers a new subscriber to a stream with its replay window.
            publisher = try ZMQSocket(context: context, type: .extendedPublisher)
            try publisher.setPassesEverySubscription(true)
            // Room for a burst across thousands of streams; past it libzmq drops for that subscriber.
            try publisher.setSendHighWaterMark(100_000)
            // Let the final `end` messages leave when the socket closes at shutdown.
            try publisher.setLinger(milliseconds: 1000)
            try publisher.bind(self.configuration.publishEndpoint)
        } catch {
            onBound(.failure(error))
            return
        }
        onBound(.success((router.lastEndpoint, publisher.lastEndpoint)))
        var state = ReactorState(
            configuration: self.configuration,
            logger: self.logger,
            metrics: self.metrics,
            pool: self.pool,
            router: router,
            publisher: publisher
        )
        self.loop(&state)
        state.stopAll()
        router.close()
        publisher.close()
    }

    private func loop(_ state: inout ReactorState) {
        var poller = ZMQPoller()
        let routerIndex = poller.add(state.router)
        let publisherIndex = poller.add(state.publisher)
        poller.add(fileDescriptor: self.wakeSignal.fileDescriptor)
        let heartbeatNanoseconds = self.configuration.heartbeatInterval.wholeNanoseconds
        let catalogueNanoseconds = self.configuration.catalogueInterval.wholeNanoseconds
        var nextHeartbeat = MonotonicTime.now()
        var nextCatalogue = MonotonicTime.now()

        while !self.stopRequested.load(ordering: .acquiring) {
            var now = MonotonicTime.now()
            self.metrics.reactorPulse.store(now.nanoseconds, ordering: .relaxed)
            if now >= nextHeartbeat {
                state.publishHeartbeat()
                nextHeartbeat = now.advanced(byNanoseconds: heartbeatNanoseconds)
            }
            if now >= nextCatalogue {
                state.publishCatalogue()
                nextCatalogue = now.advanced(byNanoseconds: catalogueNanoseconds)
            }
            let wakeAt = min(state.scheduler.nextDeadline ?? nextHeartbeat, nextHeartbeat, nextCatalogue)
            let waitNanoseconds = max(0, wakeAt.nanoseconds(since: now))
            let ready: [Int]
            do {
                ready = try poller.poll(timeoutMilliseconds: Int(waitNanoseconds / 1_000_000))
            } catch {
                self.logger.error("Polling the ingest socket failed", metadata: ["error": "\(error)"])
                return
            }
            if ready.isEmpty && waitNanoseconds > 0 && waitNanoseconds < 1_000_000 {
                // zmq_poll counts whole milliseconds: sleep out the rest so the deadline is met closely.
                var remaining = timespec(tv_sec: 0, tv_nsec: Int(waitNanoseconds))
                nanosleep(&remaining, nil)
            }
            self.wakeSignal.clear()
            let results = self.mailbox.withLockedValue { mailbox in
                let taken = mailbox
                mailbox.removeAll()
                return taken
            }
            for result in results {
                state.handle(result)
            }
            if ready.contains(publisherIndex) {
                // Subscriptions: bounded like requests, and each may replay a window of chunks.
                for _ in 0..<256 {
                    guard let frames = try? state.publisher.receive(dontWait: true) else { break }
                    state.handle(subscription: frames)
                }
            }
            var requests = 0
            if ready.contains(routerIndex) {
                // Bounded, so a flood of requests cannot starve publication.
                for _ in 0..<256 {
                    guard let frames = try? state.router.receive(dontWait: true) else { break }
                    state.handle(frames: frames)
                    requests += 1
                    now = MonotonicTime.now()
                    state.publishDue(now: now)
                }
            }
            state.publishDue(now: MonotonicTime.now())
            if requests > 0 {
                Self.gatherRequests(until: min(state.scheduler.nextDeadline ?? nextHeartbeat, nextHeartbeat))
            }
        }
    }

    /// After a turn that took requests, lets the next ones gather for up to ``requestGathering``
    /// (never past `deadline`, the next publication): at telephony cadence requests trickle in one
    /// by one, and a turn each — with a hand-off to an encoding thread and back — costs a wake-up of
    /// three threads per 20 ms piece. Taken together they share them.
    private static func gatherRequests(until deadline: MonotonicTime) {
        let wait = min(Self.requestGathering, max(0, deadline.nanoseconds(since: MonotonicTime.now())))
        guard wait > 0 else { return }
        var pause = timespec(tv_sec: 0, tv_nsec: Int(wait))
        nanosleep(&pause, nil)
    }

    /// The longest a request waits for others to gather with it (nanoseconds).
    static let requestGathering: Int64 = 1_000_000
}
