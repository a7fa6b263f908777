import HeapModule

/// One event loop's events waiting for their deadlines, in deadline order: what lets a loop run one
/// timer for all its streams instead of one scheduled task per stream per chunk. Pure: no clock, no I/O.
///
/// The heap orders small entries (a deadline, a serial and a slot); the events themselves stay put in
/// their slots. An event is large (frames, kind, stream), and a heap of them would move each one a
/// dozen times on its way through, on every loop, for every chunk.
struct LoopSchedule {
    private struct Entry: Comparable {
        var deadline: UInt64
        var serial: UInt64
        /// Where the event is in ``LoopSchedule/slots``.
        var slot: Int

        static func < (lhs: Entry, rhs: Entry) -> Bool {
            // Equal deadlines keep the order the bus thread made them in (serials only grow).
            (lhs.deadline, lhs.serial) < (rhs.deadline, rhs.serial)
        }

        static func == (lhs: Entry, rhs: Entry) -> Bool {
            lhs.deadline == rhs.deadline && lhs.serial == rhs.serial
        }
    }

    private var heap = Heap<Entry>()
    /// The waiting events; `nil` in a free slot.
    private var slots: [OutgoingEvent?] = []
    /// Free slots, reused before the array grows.
    private var freeSlots: [Int] = []

    /// Events waiting.
    var count: Int { self.heap.count }

    /// Slots made so far: the most events that ever waited at once (for tests).
    var capacity: Int { self.slots.count }

    /// The earliest deadline waiting, if any.
    var nextDeadline: UInt64? { self.heap.min?.deadline }

    /// Adds `event` to wait for its deadline.
    mutating func add(_ event: OutgoingEvent) {
        let slot: Int
        if let free = self.freeSlots.popLast() {
            slot = free
            self.slots[slot] = event
        } else {
            slot = self.slots.count
            self.slots.append(event)
        }
        self.heap.insert(Entry(deadline: event.deadline, serial: event.serial, slot: slot))
    }

    /// Removes every event due by `now`, earliest first, handing each to `body`.
    mutating func takeDue(now: UInt64, _ body: (OutgoingEvent) -> Void) {
        while let first = self.heap.min, first.deadline <= now {
            self.heap.removeMin()
            let event = self.slots[first.slot].take()!
            self.freeSlots.append(first.slot)
            body(event)
        }
    }
}
