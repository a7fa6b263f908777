import HeapModule

/// One event loop's events waiting for their deadlines, in deadline order: what lets a loop run one
/// timer for all its streams instead of one scheduled task per stream per chunk. Pure: no clock, no I/O.
struct LoopSchedule {
    private struct Entry: Comparable {
        var event: OutgoingEvent

        static func < (lhs: Entry, rhs: Entry) -> Bool {
            // Equal deadlines keep the order the bus thread made them in (serials only grow).
            (lhs.event.deadline, lhs.event.serial) < (rhs.event.deadline, rhs.event.serial)
        }

        static func == (lhs: Entry, rhs: Entry) -> Bool {
            lhs.event.deadline == rhs.event.deadline && lhs.event.serial == rhs.event.serial
        }
    }

    private var heap = Heap<Entry>()

    /// Events waiting.
    var count: Int { self.heap.count }

    /// The earliest deadline waiting, if any.
    var nextDeadline: UInt64? { self.heap.min?.event.deadline }

    /// Adds `event` to wait for its deadline.
    mutating func add(_ event: OutgoingEvent) {
        self.heap.insert(Entry(event: event))
    }

    /// Removes every event due by `now`, earliest first, handing each to `body`.
    mutating func takeDue(now: UInt64, _ body: (OutgoingEvent) -> Void) {
        while let first = self.heap.min, first.event.deadline <= now {
            body(self.heap.removeMin().event)
        }
    }
}
