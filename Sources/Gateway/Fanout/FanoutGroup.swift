import NIOCore
import NIOPosix

/// The event loops that serve clients, each with its ``LoopHub``.
///
/// The bus thread hands every event to every loop once, as a task scheduled at the event's
/// deadline: one hop per loop per chunk, however many clients each loop has.
final class FanoutGroup: Sendable {
    /// The loops' hubs, each usable only on its own loop.
    private let hubs: [ObjectIdentifier: NIOLoopBound<LoopHub>]
    private let loops: [any EventLoop]

    private init(hubs: [ObjectIdentifier: NIOLoopBound<LoopHub>], loops: [any EventLoop]) {
        self.hubs = hubs
        self.loops = loops
    }

    /// Creates a hub on every loop of `group`.
    static func make(
        group: MultiThreadedEventLoopGroup,
        configuration: GatewayConfiguration,
        metrics: GatewayMetrics
    ) async throws -> FanoutGroup {
        var hubs: [ObjectIdentifier: NIOLoopBound<LoopHub>] = [:]
        var loops: [any EventLoop] = []
        for loop in group.makeIterator() {
            let hub = try await loop.submit {
                let hub = LoopHub(eventLoop: loop, configuration: configuration, metrics: metrics)
                hub.startSweeping()
                return NIOLoopBound(hub, eventLoop: loop)
            }.get()
            hubs[ObjectIdentifier(loop)] = hub
            loops.append(loop)
        }
        return FanoutGroup(hubs: hubs, loops: loops)
    }

    /// The hub of `loop`; call on that loop only.
    func hub(on loop: any EventLoop) -> LoopHub {
        self.hubs[ObjectIdentifier(loop)]!.value
    }

    /// Delivers `event` on every loop at its deadline (at once when the deadline has passed).
    ///
    /// Always a scheduled task, even when already due: NIO runs scheduled tasks in deadline order,
    /// while an `execute` could overtake an earlier chunk still waiting in the scheduled queue.
    ///
    /// Each loop gets buffers of its own: every write retains and releases the frame's storage, and
    /// a storage shared by two loops would bounce its reference count between cores on every write.
    func dispatch(_ event: OutgoingEvent) {
        for (index, loop) in self.loops.enumerated() {
            let hub = self.hubs[ObjectIdentifier(loop)]!
            let local = index == 0 ? event : event.withOwnBuffers()
            loop.scheduleTask(deadline: .uptimeNanoseconds(event.deadline)) { hub.value.deliver(local) }
        }
    }

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

    /// Closes every client on every loop with `code` and waits until the close frames are written.
    func closeAll(code: UInt16, reason: String) async {
        for loop in self.loops {
            let hub = self.hubs[ObjectIdentifier(loop)]!
            try? await loop.submit { hub.value.closeAll(code: code, reason: reason) }.get()
        }
    }
}
