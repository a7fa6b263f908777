import Logging
import Synchronization
import WavecastCore
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

/// The encoder's socket thread: the executor of the ``EncoderStateMachine``.
///
/// It owns the ingest ROUTER and the bus XPUB socket (ZeroMQ sockets belong to one thread) and the
/// clock: it sleeps in `zmq_poll` until the machine's next deadline, a request, a subscription or
/// an encoding result (a ``Mailbox`` polled beside the sockets), feeds each to the machine, and
/// carries out the actions it returns: replies, jobs for the ``EncodingPool``, bus messages.
final class EncoderReactor: Sendable {
    private let configuration: EncoderConfiguration
    private let logger: Logger
    private let metrics: EncoderMetrics
    private let pool: EncodingPool
    private let results = Mailbox<EncodingResult>()
    private let stopRequested = Atomic<Bool>(false)

    init(configuration: EncoderConfiguration, logger: Logger, metrics: EncoderMetrics, pool: EncodingPool) {
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
        self.pool = pool
    }

    /// Hands encoding results to the reactor thread, in order (called on encoding threads).
    func deliver(_ results: [EncodingResult]) {
        self.results.post(contentsOf: results)
    }

    /// Asks the loop to end every stream and return.
    func requestStop() {
        self.stopRequested.store(true, ordering: .releasing)
        self.results.wake()
    }

    /// Binds the sockets in `context` and serves until ``requestStop()``; call on a thread of its own.
    ///
    /// - Parameter onBound: Called once both sockets are bound (and the bus socket connected to any
    ///   proxy), with their resolved endpoints (ingest, publish; publish is `off` when the bus socket binds
    ///   none), or with the error that stopped them binding.
    func run(context: ZMQContext, onBound: (Result<(String, String), ZMQError>) -> Void) {
        let router: ZMQSocket
        let publisher: ZMQSocket
        var published = "off"
        do {
            router = try ZMQSocket(context: context, type: .router)
            if let keyring = self.configuration.keyring {
                try router.makeCurveServer(keys: keyring.keys, domain: EncoderKeyring.ingestDomain)
            }
            try router.setReceiveHighWaterMark(10_000)
            try router.setSendHighWaterMark(10_000)
            try router.bind(self.configuration.ingestEndpoint)
            // XPUB: it hears each subscription, and answers a new subscriber to a stream with its replay window.
            publisher = try ZMQSocket(context: context, type: .extendedPublisher)
            if let keyring = self.configuration.keyring, keyring.gatewayDirectory != nil {
                try publisher.makeCurveServer(keys: keyring.keys, domain: EncoderKeyring.busDomain)
            }
            try publisher.setPassesEverySubscription(true)
            // Room for a burst across thousands of streams; past it libzmq drops for that subscriber.
            try publisher.setSendHighWaterMark(100_000)
            // Let the final `end` messages leave when the socket closes at shutdown.
            try publisher.setLinger(milliseconds: 1000)
            if let publishEndpoint = self.configuration.publishEndpoint {
                try publisher.bind(publishEndpoint)
                // Read before any connect below: libzmq's last endpoint is the last bound *or connected* one.
                published = publisher.lastEndpoint
            }
            try self.connectToProxies(publisher)
        } catch {
            onBound(.failure(error))
            return
        }
        onBound(.success((router.lastEndpoint, published)))
        var executor = Executor(router: router, publisher: publisher, pool: self.pool, logger: self.logger)
        var machine = EncoderStateMachine(configuration: self.configuration, metrics: self.metrics, now: .now())
        self.loop(&machine, &executor)
        machine.stopAll(into: &executor.actions)
        executor.carryOut()
        router.close()
        publisher.close()
    }

    /// Connects the bus socket to every bus proxy (`--bus-connect`), after any bind.
    ///
    /// Why the encoder connects rather than the proxy: the proxy is the fleet's one stable address, so encoders
    /// come and go (a StatefulSet scaling, a restart on another node) without the proxy knowing them, as the
    /// zguide's XSUB/XPUB proxy has publishers connect to it. libzmq reconnects by itself, and the proxy's XSUB
    /// sends every subscription it holds to an encoder that (re)connects, so each stream wanted is replayed.
    ///
    /// With ``EncoderConfiguration/proxyPublicKey`` these connections are CURVE with the proxy as the server,
    /// while a bound ``EncoderConfiguration/publishEndpoint`` stays a CURVE server for gateways connecting
    /// directly: libzmq takes a socket's security options as they are at each `bind` or `connect` (they "take
    /// effect only for subsequent bind/connect calls", zmq_setsockopt(3)), so making the socket a client here,
    /// after the bind, leaves the bound endpoint a server.
    private func connectToProxies(_ publisher: ZMQSocket) throws(ZMQError) {
        guard !self.configuration.busConnectEndpoints.isEmpty else { return }
        if let proxyPublicKey = self.configuration.proxyPublicKey, let keyring = self.configuration.keyring {
            try publisher.makeCurveClient(keys: keyring.keys, serverPublicKey: proxyPublicKey)
        }
        for endpoint in self.configuration.busConnectEndpoints {
            try publisher.connect(endpoint)
            self.logger.info(
                "Publishing to a bus proxy",
                metadata: [
                    "bus.connect": "\(endpoint)", "curve": "\(self.configuration.proxyPublicKey != nil)",
                ]
            )
        }
    }

    private func loop(_ machine: inout EncoderStateMachine, _ executor: inout Executor) {
        var poller = ZMQPoller()
        let routerIndex = poller.add(executor.router)
        let publisherIndex = poller.add(executor.publisher)
        poller.add(fileDescriptor: self.results.wakeSignal.fileDescriptor)
        var results: [EncodingResult] = []

        while !self.stopRequested.load(ordering: .acquiring) {
            let now = MonotonicTime.now()
            self.metrics.reactorPulse.store(now.nanoseconds, ordering: .relaxed)
            machine.tick(now: now, into: &executor.actions)
            executor.carryOut()
            let waitNanoseconds = max(0, machine.nextDeadline.nanoseconds(since: now))
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
            self.results.take(into: &results)
            if !results.isEmpty {
                let now = MonotonicTime.now()
                for result in results {
                    machine.receive(result: result, now: now, into: &executor.actions)
                }
                results.removeAll(keepingCapacity: true)
                executor.carryOut()
            }
            if ready.contains(publisherIndex) {
                // Subscriptions and gateways' mark reports: bounded like requests; a subscription may replay a window.
                for _ in 0..<256 {
                    guard let frames = try? executor.publisher.receive(dontWait: true) else { break }
                    if let error = machine.receive(upstream: frames, now: MonotonicTime.now(), into: &executor.actions)
                    {
                        self.logger.warning(
                            "Ignored a malformed message from a gateway",
                            metadata: ["error": "\(error)"]
                        )
                    }
                    executor.carryOut()
                }
            }
            var requests = 0
            if ready.contains(routerIndex) {
                let keyring = self.configuration.keyring
                var userID: String?
                // Bounded, so a flood of requests cannot starve publication.
                for _ in 0..<256 {
                    // Without CURVE there is no sender to look up: no metadata read, no lock per request.
                    let received =
                        keyring == nil
                        ? try? executor.router.receive(dontWait: true)
                        : try? executor.router.receive(dontWait: true, userID: &userID)
                    guard let frames = received else { break }
                    let access = keyring?.access(forUserID: userID) ?? .unrestricted
                    machine.receive(request: frames, from: access, now: .now(), into: &executor.actions)
                    machine.tick(now: .now(), into: &executor.actions)
                    // Replies and publications go out at once; the jobs wait for the end of the turn.
                    executor.carryOut(submittingJobs: false)
                    requests += 1
                }
                // One hand-off per encoding thread for the whole turn, not a wake-up per request.
                executor.submitJobs()
            }
            machine.tick(now: .now(), into: &executor.actions)
            executor.carryOut()
            if requests > 0 {
                Self.gatherRequests(until: machine.nextDeadline)
            }
        }
    }

    /// After a turn that took requests, lets the next ones gather for up to ``requestGathering``
    /// (never past `deadline`, the machine's next one): at telephony cadence requests trickle in one
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

extension EncoderReactor {
    /// Carries out the machine's actions on the reactor thread's sockets: the only code that touches them.
    private struct Executor: ~Copyable {
        let router: ZMQSocket
        let publisher: ZMQSocket
        let pool: EncodingPool
        let logger: Logger
        /// The machine's actions not carried out yet; emptied, keeping its storage, by ``carryOut(submittingJobs:)``.
        var actions: [EncoderStateMachine.Action] = []
        /// Encoding jobs carried out but not yet handed to the pool (see ``submitJobs()``), in order.
        private var jobs: [EncodingJob] = []

        init(router: ZMQSocket, publisher: ZMQSocket, pool: EncodingPool, logger: Logger) {
            self.router = router
            self.publisher = publisher
            self.pool = pool
            self.logger = logger
            self.actions.reserveCapacity(256)
            self.jobs.reserveCapacity(256)
        }

        /// Carries out every pending action, in order.
        ///
        /// - Parameter submittingJobs: Whether the encoding jobs among them are handed to the pool now; when
        ///   `false`, they wait, in order, for ``submitJobs()``, which the caller calls before it sleeps.
        mutating func carryOut(submittingJobs: Bool = true) {
            for action in self.actions {
                switch action {
                case .reply(let reply, let routingFrames, let refusal):
                    if let refusal {
                        self.logger.debug("Refused a request", metadata: ["error.code": "\(refusal)"])
                    }
                    do {
                        // Frame by frame: no array of the routing frames and the reply is made per reply.
                        for frame in routingFrames {
                            try self.router.send(frame: frame, more: true, dontWait: true)
                        }
                        try self.router.send(frame: reply.bytes, more: false, dontWait: true)
                    } catch {
                        // The peer went away or stopped reading; nobody else waits on its reply.
                        self.logger.debug("Could not send a reply", metadata: ["error": "\(error)"])
                    }
                case .encode(let job):
                    self.jobs.append(job)
                case .publish(let message):
                    do {
                        try self.publisher.send(message.frames(), dontWait: true)
                    } catch {
                        // PUB never blocks: it drops past the high-water mark. Anything else is worth a log line.
                        self.logger.warning("Publishing on the bus failed", metadata: ["error": "\(error)"])
                    }
                }
            }
            self.actions.removeAll(keepingCapacity: true)
            if submittingJobs {
                self.submitJobs()
            }
        }

        /// Hands the jobs carried out so far to the pool: one hand-off per encoding thread.
        mutating func submitJobs() {
            self.pool.submit(batch: &self.jobs)
        }
    }
}
