import DequeModule
import WavecastCore

/// Which streams the gateway takes from the bus and which of its event loops want each: the gateway's
/// subscription logic as a state machine. Its methods return the actions to carry out; it does no I/O and reads no
/// clock, so every transition is tested without sockets or real time.
///
/// A stream is subscribed (a ZeroMQ subscription to its topic) from the moment a loop reports its first listener of
/// it until ``unsubscribeDelay`` after the last loop reported its last listener gone: a listener who reconnects
/// within the delay finds the stream still flowing, and a stream whose listeners come and go does not make the
/// encoder replay its window over and over.
struct SubscriptionTable: Sendable {
    /// Something the executor (the bus thread) must do.
    enum Action: Sendable, Hashable {
        /// Add a subscription to the stream's topic on the SUB socket.
        case subscribe(StreamID)
        /// Remove it, and forget everything kept about the stream.
        case unsubscribe(StreamID)
        /// Send the loop the stream's start and recent chunks: it has a first listener of the stream.
        case sendBurst(StreamID, loop: Int)
    }

    private struct Entry: Sendable {
        var loops = LoopSet()
        /// When to unsubscribe, once no loop wants the stream (monotonic nanoseconds).
        var unsubscribeAt: UInt64?
    }

    /// How long a stream stays subscribed after its last listener left (nanoseconds).
    let unsubscribeDelay: UInt64
    private var entries: [StreamID: Entry] = [:]
    /// Pending unsubscriptions in deadline order (every delay is the same, so appending keeps the order); an item
    /// whose entry has since changed is skipped when it comes up.
    private var expiries: Deque<(deadline: UInt64, stream: StreamID)> = []

    init(unsubscribeDelay: UInt64) {
        self.unsubscribeDelay = unsubscribeDelay
    }

    /// Streams subscribed now.
    var subscribedCount: Int { self.entries.count }

    /// Whether messages on `stream`'s topic are wanted (the exact check behind ZeroMQ's prefix match).
    func isSubscribed(_ stream: StreamID) -> Bool {
        self.entries[stream] != nil
    }

    /// The loops with listeners of `stream`.
    func loops(of stream: StreamID) -> LoopSet {
        self.entries[stream]?.loops ?? LoopSet()
    }

    /// When ``expire(now:)`` next has something to do, if ever.
    var nextExpiry: UInt64? {
        self.expiries.first?.deadline
    }

    /// `loop` has its first listener of `stream`.
    mutating func loopJoined(_ stream: StreamID, loop: Int) -> [Action] {
        var actions: [Action] = []
        var entry =
            self.entries[stream]
            ?? {
                actions.append(.subscribe(stream))
                return Entry()
            }()
        entry.unsubscribeAt = nil
        entry.loops.insert(loop)
        self.entries[stream] = entry
        actions.append(.sendBurst(stream, loop: loop))
        return actions
    }

    /// `loop`'s last listener of `stream` left; the stream is unsubscribed ``unsubscribeDelay`` after no loop
    /// wants it.
    mutating func loopLeft(_ stream: StreamID, loop: Int, now: UInt64) {
        guard var entry = self.entries[stream], entry.loops.remove(loop) else { return }
        if entry.loops.isEmpty {
            let deadline = now &+ self.unsubscribeDelay
            entry.unsubscribeAt = deadline
            self.expiries.append((deadline, stream))
        }
        self.entries[stream] = entry
    }

    /// Unsubscribes every stream whose delay has run out by `now`.
    mutating func expire(now: UInt64) -> [Action] {
        var actions: [Action] = []
        while let first = self.expiries.first, first.deadline <= now {
            self.expiries.removeFirst()
            guard let entry = self.entries[first.stream], entry.unsubscribeAt == first.deadline else { continue }
            self.entries[first.stream] = nil
            actions.append(.unsubscribe(first.stream))
        }
        return actions
    }
}
