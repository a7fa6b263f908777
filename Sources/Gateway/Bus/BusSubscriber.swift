import Foundation
import Logging
import NIOCore
import Synchronization
import WavecastCore
import ZeroMQ

#if canImport(Glibc)
import Glibc
import Prometheus
#endif

/// The gateway's bus thread: a ZeroMQ XSUB socket connected to every encoder, feeding the router.
///
/// The socket takes the control topic (heartbeats, catalogues) and, one subscription each, the
/// streams this gateway's listeners want: the router decides which, from what the loops post to
/// the ``InterestInbox``, and this thread, the only one to touch the socket, carries it out.
/// XSUB rather than SUB: subscriptions are messages it sends, and so are the ``BusMarkReport``s
/// that tell the encoders what became of their marks, up the same connections.
/// libzmq reconnects by itself when an encoder restarts, and sends it every subscription again, so
/// the socket is made once. Endpoints named by host name are resolved on a ``BusResolver`` thread and every
/// address connected (``BusPeers``): encoders found behind a name later are followed as they appear. The thread polls its socket and the inbox's wake signal with a short
/// timeout so it can expire silent streams and notice a stop request.
final class BusSubscriber: Sendable {
    private let endpoints: [String]
    /// How often the endpoints' host names are resolved again.
    private let resolveInterval: Duration
    private let logger: Logger
    private let metrics: GatewayMetrics
    private let interest: InterestInbox
    private let stopRequested = Atomic<Bool>(false)

    private let curve: CurveClientKeys?
    /// The name this gateway signs its mark reports with.
    private let name: String

    init(
        endpoints: [String],
        resolveInterval: Duration,
        curve: CurveClientKeys?,
        name: String,
        interest: InterestInbox,
        logger: Logger,
        metrics: GatewayMetrics
    ) {
        self.endpoints = endpoints
        self.resolveInterval = resolveInterval
        self.curve = curve
        self.name = name
        self.interest = interest
        self.logger = logger
        self.metrics = metrics
    }

    /// Asks the loop to return.
    func requestStop() {
        self.stopRequested.store(true, ordering: .releasing)
        self.interest.wakeSignal.wake()
    }

    /// Subscribes and serves until ``requestStop()``; call on a thread of its own.
    ///
    /// - Throws: ``ZMQError`` when the socket cannot be made or an endpoint is malformed.
    func run(context: ZMQContext, router: inout StreamRouter) throws(ZMQError) {
        let socket = try ZMQSocket(context: context, type: .extendedSubscriber)
        defer { socket.close() }
        if let curve = self.curve {
            // Every encoder must hold the secret key of `serverPublicKey`, and allow this gateway's key.
            try socket.makeCurveClient(curve)
        }
        // Deep enough for a burst of thousands of streams; past it libzmq drops and sequence numbers show it.
        try socket.setReceiveHighWaterMark(100_000)
        // Names may resolve to IPv6 addresses as well.
        try socket.setIPv6(true)
        try Self.subscribe(BusMessage.controlTopic, on: socket)
        var peers = BusPeers(endpoints: self.endpoints)
        try self.carryOut(peers.start(), on: socket, peers: peers, router: &router)
        var poller = ZMQPoller()
        let socketIndex = poller.add(socket)
        poller.add(fileDescriptor: self.interest.wakeSignal.fileDescriptor)
        var resolver: BusResolver?
        if !peers.names.isEmpty {
            let names = BusResolver(names: peers.names, interval: self.resolveInterval, logger: self.logger)
            poller.add(fileDescriptor: names.inbox.wakeSignal.fileDescriptor)
            _ = Thread.runningDetached(name: "wc-resolver") { names.run() }
            resolver = names
        }
        defer { resolver?.requestStop() }
        var resolutions: [BusResolver.Resolution] = []
        var lastExpiry = NIODeadline.now().uptimeNanoseconds
        var lastFigures = lastExpiry
        var changes: [InterestChange] = []
        while !self.stopRequested.load(ordering: .acquiring) {
            var timeout: UInt64 = 100_000_000
            for deadline in [router.nextExpiry, router.nextCatchUpDeadline].compactMap({ $0 }) {
                let now = NIODeadline.now().uptimeNanoseconds
                timeout = min(timeout, deadline > now ? deadline - now + 999_999 : 0)
            }
            let ready: [Int]
            do {
                ready = try poller.poll(timeoutMilliseconds: Int(timeout / 1_000_000))
            } catch {
                if error.isContextTerminated { return }
                throw error
            }
            if let resolver {
                resolver.inbox.take(into: &resolutions)
                for resolution in resolutions {
                    try self.carryOut(
                        peers.resolved(resolution.name, to: resolution.addresses),
                        on: socket,
                        peers: peers,
                        router: &router
                    )
                }
                resolutions.removeAll(keepingCapacity: true)
            }
            self.interest.take(into: &changes)
            if !changes.isEmpty {
                let now = NIODeadline.now().uptimeNanoseconds
                for change in changes {
                    try self.carryOut(router.interestChanged(change, now: now), on: socket)
                }
                changes.removeAll(keepingCapacity: true)
                for report in router.takeMarkReports(gateway: self.name) {
                    // Best effort, like the bus itself: with no encoder connected, or its queue full, it is dropped.
                    try? socket.send(frame: report.encode(), more: false, dontWait: true)
                }
            }
            if ready.contains(socketIndex) {
                defer { Self.gatherMessages() }
                // Bounded so expiry and stop requests are still looked at under a flood.
                for _ in 0..<1024 {
                    guard let frames = try? socket.receive(dontWait: true) else { break }
                    self.handle(frames, router: &router)
                }
            }
            let now = NIODeadline.now().uptimeNanoseconds
            router.expireCatchUps(now: now)
            try self.carryOut(router.expire(now: now), on: socket)
            if now &- lastFigures > Self.figuresInterval {
                router.publishFigures()
                lastFigures = now
            }
            if now &- lastExpiry > 500_000_000 {
                router.expireSilentStreams(now: now)
                lastExpiry = now
            }
        }
    }

    /// How often each stream's position, sequence and gaps are copied to `/streams` (nanoseconds).
    static let figuresInterval: UInt64 = 250_000_000

    /// After a batch of bus messages, lets the next ones gather for ``messageGathering``: with
    /// thousands of streams in every phase, messages trickle in one by one, and a wake-up per
    /// message (ZeroMQ's I/O thread signalling this one) costs more than the message. Every chunk
    /// waits a jitter delay anyway; a listener's first chunk comes at most this much later.
    private static func gatherMessages() {
        var pause = timespec(tv_sec: 0, tv_nsec: Int(Self.messageGathering))
        nanosleep(&pause, nil)
    }

    /// How long the bus thread lets messages gather after a batch (nanoseconds).
    static let messageGathering: UInt64 = 1_000_000

    /// Hands one bus message, just received, to `router`.
    private func handle(_ frames: [[UInt8]], router: inout StreamRouter) {
        let arrival = NIODeadline.now().uptimeNanoseconds
        self.metrics.busMessages.increment()
        do {
            router.handle(try BusMessage(frames: frames), arrival: arrival)
        } catch {
            self.metrics.invalidBusMessages.increment()
            self.logger.warning("Ignored a malformed bus message", metadata: ["error": "\(error)"])
        }
    }

    /// Connects and disconnects encoders as `actions` say; `peers` is the set after them.
    private func carryOut(
        _ actions: [BusPeers.Action],
        on socket: ZMQSocket,
        peers: BusPeers,
        router: inout StreamRouter
    ) throws(ZMQError) {
        for action in actions {
            switch action {
            case .connect(let endpoint):
                try socket.connect(endpoint)
                self.logger.info("Subscribed to the bus", metadata: ["bus": "\(endpoint)"])
            case .disconnect(let endpoint):
                // Gone from its name: the encoder was removed (or replaced) and will not come back at this address.
                // The poll before may have begun a message from it: that one is taken first (and handled), or
                // libzmq would abort the gateway on its next frame.
                try socket.disconnect(endpoint, takingWaitingMessage: { self.handle($0, router: &router) })
                self.logger.info("Left an encoder no longer behind its bus name", metadata: ["bus": "\(endpoint)"])
            }
        }
        self.metrics.busPeers.set(Int64(peers.connected.count))
    }

    private func carryOut(_ actions: [StreamRouter.SocketAction], on socket: ZMQSocket) throws(ZMQError) {
        for action in actions {
            switch action {
            case .subscribe(let stream):
                try Self.subscribe(Array(stream.rawValue.utf8), on: socket)
            case .unsubscribe(let stream):
                try socket.send(frame: [0] + Array(stream.rawValue.utf8), more: false, dontWait: true)
            }
        }
    }

    /// An XSUB subscribes by sending `1` and the prefix; it keeps the subscription and sends it again to every
    /// encoder that connects later (or reconnects), as SUB does.
    private static func subscribe(_ prefix: [UInt8], on socket: ZMQSocket) throws(ZMQError) {
        try socket.send(frame: [1] + prefix, more: false, dontWait: true)
    }
}
