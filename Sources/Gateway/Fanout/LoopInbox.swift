import NIOConcurrencyHelpers

/// Where the bus thread leaves one event loop's events, and who wakes the loop for them.
///
/// The loop runs one timer, armed for its earliest waiting deadline. The bus thread appends each
/// event under a lock and asks for a wake-up only when nothing is armed to fire by the event's
/// deadline: under load, with deadlines a jitter delay after arrival, almost never. So a chunk
/// costs the bus thread an append, not a scheduled task per loop, and the loop wakes once for all
/// the streams due together.
final class LoopInbox: Sendable {
    private struct State {
        var events: [OutgoingEvent] = []
        /// The deadline of the earliest timer task scheduled on the loop, if any. Later tasks it
        /// superseded are forgotten: one may be scheduled again, and the extra run finds nothing due.
        var armed: UInt64?
    }

    private let state = NIOLockedValueBox(State())

    /// Leaves `event` for the loop; true when the caller must schedule a timer task at the event's
    /// deadline (none is armed to fire by then), which this records as armed.
    func post(_ event: OutgoingEvent) -> Bool {
        self.state.withLockedValue { state in
            state.events.append(event)
            if let armed = state.armed, armed <= event.deadline { return false }
            state.armed = event.deadline
            return true
        }
    }

    /// The loop's timer task scheduled for `deadline` runs: takes every event left so far. The
    /// armed timer is gone if it was this one.
    func take(firing deadline: UInt64, into events: inout [OutgoingEvent]) {
        self.state.withLockedValue { state in
            if state.armed == deadline { state.armed = nil }
            swap(&events, &state.events)
        }
    }

    /// The loop wants its timer at `deadline`; true when it must schedule that task (nothing armed
    /// fires by then), which this records as armed.
    func arm(at deadline: UInt64) -> Bool {
        self.state.withLockedValue { state in
            if let armed = state.armed, armed <= deadline { return false }
            state.armed = deadline
            return true
        }
    }
}
