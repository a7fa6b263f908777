import WavecastCore
import ZeroMQ

/// The bench's two sockets, serviced together: the subscriber is drained whenever replies are awaited.
struct BusSession {
    /// The SUB socket, subscribed to the whole bus.
    let subscriber: ZMQSocket
    /// The DEALER socket requests are sent on.
    let dealer: ZMQSocket
    /// Where arrivals are recorded.
    var tracker: ArrivalTracker

    /// Most messages taken from one socket per poll turn, so neither socket starves the other.
    private static let batch = 4096

    /// Creates a session over connected sockets.
    init(subscriber: ZMQSocket, dealer: ZMQSocket, tracker: ArrivalTracker) {
        self.subscriber = subscriber
        self.dealer = dealer
        self.tracker = tracker
    }

    /// Receives bus messages until `deadline` (monotonic nanoseconds).
    ///
    /// - Throws: ``ZMQError`` if a socket fails.
    mutating func pump(until deadline: Int64) throws {
        var replies = IngestReplies()
        try self.service(until: deadline, replies: &replies) { _ in false }
    }

    /// Receives replies on the dealer until `count` have come or `deadline` passes, draining the bus meanwhile.
    ///
    /// - Returns: The replies counted by outcome.
    /// - Throws: ``ZMQError`` if a socket fails.
    mutating func collectReplies(_ count: Int, deadline: Int64) throws -> IngestReplies {
        var replies = IngestReplies()
        try self.service(until: deadline, replies: &replies) { $0.total >= count }
        return replies
    }

    private mutating func service(
        until deadline: Int64,
        replies: inout IngestReplies,
        done: (IngestReplies) -> Bool
    ) throws {
        var poller = ZMQPoller()
        let subscriberIndex = poller.add(self.subscriber)
        let dealerIndex = poller.add(self.dealer)
        // Bounded: every turn waits at most 50 ms and the loop ends at the deadline.
        while !done(replies) {
            let now = SystemIO.monotonicNanoseconds()
            guard now < deadline else { return }
            let wait = min(50, max(0, Int((deadline - now) / 1_000_000)))
            let ready = try poller.poll(timeoutMilliseconds: wait)
            if ready.contains(subscriberIndex) {
                for _ in 0..<Self.batch {
                    guard let frames = try self.subscriber.receive(dontWait: true) else { break }
                    self.tracker.record(frames, arrival: SystemIO.monotonicNanoseconds())
                }
            }
            if ready.contains(dealerIndex) {
                for _ in 0..<Self.batch {
                    guard let frames = try self.dealer.receive(dontWait: true) else { break }
                    replies.record(frames)
                }
            }
        }
    }
}

/// Replies to pipelined ingest requests, counted by outcome.
struct IngestReplies {
    /// `{"ok":true}` replies.
    var ok = 0
    /// Error replies, by error code.
    var errors: [String: Int] = [:]
    /// The first error reply, as sent.
    var firstError: String?

    /// All replies counted.
    var total: Int { self.ok + self.errors.values.reduce(0, +) }

    /// Counts one reply message (DEALER: no empty delimiter; the JSON reply is the last frame).
    mutating func record(_ frames: [[UInt8]]) {
        guard let last = frames.last, case .object(let object)? = try? JSONValue.parse(last) else {
            self.errors["unparsable_reply", default: 0] += 1
            return
        }
        if object["ok"] == .bool(true) {
            self.ok += 1
            return
        }
        var code = "unknown"
        if case .string(let text)? = object["error"] { code = text }
        self.errors[code, default: 0] += 1
        if self.firstError == nil { self.firstError = String(decoding: last, as: UTF8.self) }
    }

    /// A short description: the ok count and each error code's count.
    var summary: String {
        let errors = self.errors.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        return (["ok \(self.ok)"] + errors).joined(separator: ", ")
    }
}
