import NIOCore
import NIOPosix
import WavecastCore

/// The event loops that serve clients, each with its ``LoopHub``.
///
/// The bus thread leaves each event in the ``LoopInbox`` of every loop with listeners of its
/// stream, and none for a loop without one; each loop's one timer sends every event due together
/// (``LoopHub/timerFired(deadline:)``). A chunk costs the bus thread an append per interested
/// loop, and the loops a wake-up per deadline, however many streams and clients there are.
final class FanoutGroup: Sendable {
    /// The loops' hubs, each usable only on its own loop.
    private let hubs: [ObjectIdentifier: NIOLoopBound<LoopHub>]
    private let loops: [any EventLoop]
    /// Each loop's hub, by loop index.
    private let hubsByIndex: [NIOLoopBound<LoopHub>]
    /// Each loop's inbox, by loop index.
    private let inboxes: [LoopInbox]

    private init(
        hubs: [ObjectIdentifier: NIOLoopBound<LoopHub>],
        loops: [any EventLoop],
        inboxes: [LoopInbox]
    ) {
        self.hubs = hubs
        self.loops = loops
        self.hubsByIndex = loops.map { hubs[ObjectIdentifier($0)]! }
        self.inboxes = inboxes
    }

    /// Creates a hub on every loop of `group`.
    ///
    /// - Parameters:
    ///   - interest: Where hubs report their first and last listener of each stream; `nil` when the
    ///     caller hands every event to every loop itself (``dispatch(_:)``).
    static func make(
        group: MultiThreadedEventLoopGroup,
        interest: InterestInbox? = nil,
        configuration: GatewayConfiguration,
        metrics: GatewayMetrics
    ) async throws -> FanoutGroup {
        var hubs: [ObjectIdentifier: NIOLoopBound<LoopHub>] = [:]
        var loops: [any EventLoop] = []
        var inboxes: [LoopInbox] = []
        for (index, loop) in group.makeIterator().enumerated() {
            let inbox = LoopInbox()
            inboxes.append(inbox)
            let hub = try await loop.submit {
                let hub = LoopHub(
                    eventLoop: loop,
                    loopIndex: index,
                    interest: interest,
                    inbox: inbox,
                    configuration: configuration,
                    metrics: metrics
                )
                hub.startSweeping()
                return NIOLoopBound(hub, eventLoop: loop)
            }.get()
            hubs[ObjectIdentifier(loop)] = hub
            loops.append(loop)
        }
        return FanoutGroup(hubs: hubs, loops: loops, inboxes: inboxes)
    }

    /// The hub of `loop`; call on that loop only.
    func hub(on loop: any EventLoop) -> LoopHub {
        self.hubs[ObjectIdentifier(loop)]!.value
    }

    /// Delivers `event` on every loop at its deadline (at once when the deadline has passed).
    ///
    /// A loop is woken by a scheduled task, even when the event is already due: NIO runs scheduled
    /// tasks in deadline order, while an `execute` could overtake an earlier chunk still waiting.
    ///
    /// Each loop gets buffers of its own: every write retains and releases the frame's storage, and
    /// a storage shared by two loops would bounce its reference count between cores on every write.
    func dispatch(_ event: OutgoingEvent) {
        self.dispatch(event, to: LoopSet.all(count: self.loops.count))
    }

    /// Delivers `event` on each loop of `loops` at its deadline.
    func dispatch(_ event: OutgoingEvent, to loops: LoopSet) {
        var first = true
        for index in loops {
            let local = first ? event : event.withOwnBuffers()
            first = false
            if self.inboxes[index].post(local) {
                LoopHub.scheduleTimer(on: self.loops[index], hub: self.hubsByIndex[index], at: local.deadline)
            }
        }
    }

    /// Hands loop `index` the burst of `stream` for its first listener, ordered before any event
    /// dispatched after it (a task due now, in the same deadline-ordered queue).
    func sendBurst(_ events: [OutgoingEvent], of stream: StreamID, toLoop index: Int, now: UInt64) {
        let loop = self.loops[index]
        let hub = self.hubs[ObjectIdentifier(loop)]!
        let local = index == 0 ? events : events.map { $0.withOwnBuffers() }
        loop.scheduleTask(deadline: .uptimeNanoseconds(now)) { hub.value.receiveBurst(local, of: stream) }
    }

    /// The number of loops.
    var loopCount: Int { self.loops.count }

    /// Listener counts per stream, summed over every loop.
    func listenerCounts() -> EventLoopFuture<[String: Int]> {
        let futures = self.loops.map { loop in
            let hub = self.hubs[ObjectIdentifier(loop)]!
            return loop.submit { hub.value.listenerCounts() }
        }
        return EventLoopFuture.reduce(into: [String: Int](), futures, on: self.loops[0]) { total, counts in
            for (stream, count) in counts {
                total[stream.rawValue, default: 0] += count
            }
        }
    }

    /// Starts a lame-duck drain: every client on every loop is closed with `code`, spread evenly
    /// over `window` in one order across the loops (``DrainSchedule``).
    ///
    /// - Returns: The schedule, whose ``DrainSchedule/lastOffset`` says when the last close is due.
    func drain(over window: Duration, code: UInt16, reason: String) async -> DrainSchedule {
        var counts: [Int] = []
        for loop in self.loops {
            let hub = self.hubs[ObjectIdentifier(loop)]!
            counts.append((try? await loop.submit { hub.value.clientCount }.get()) ?? 0)
        }
        let schedule = DrainSchedule(clientCount: counts.reduce(0, +), window: window)
        var firstIndex = 0
        for (loop, count) in zip(self.loops, counts) {
            let hub = self.hubs[ObjectIdentifier(loop)]!
            let start = firstIndex
            try? await loop.submit { hub.value.drain(schedule, firstIndex: start, code: code, reason: reason) }.get()
            firstIndex += count
        }
        return schedule
    }

    /// Closes every client on every loop with `code` and waits until the close frames are written.
    func closeAll(code: UInt16, reason: String) async {
        for loop in self.loops {
            let hub = self.hubs[ObjectIdentifier(loop)]!
            try? await loop.submit { hub.value.closeAll(code: code, reason: reason) }.get()
        }
    }
}
