import NIOConcurrencyHelpers
import WavecastCore
import ZeroMQ

/// How event loops tell the bus thread which streams they want: a loop posts when it gets its first listener of a
/// stream and when its last one leaves, and the bus thread, which alone may touch the SUB socket, takes the changes
/// the next time it wakes.
final class InterestInbox: Sendable {
    /// A change in one loop's listeners.
    enum Change: Sendable, Hashable {
        /// The loop has its first listener of the stream.
        case joined(StreamID, loop: Int)
        /// The loop's last listener of the stream left.
        case left(StreamID, loop: Int)
        /// The loop has its first `?compat=seed` listener of the stream: chunks need their seed frame too.
        case compatJoined(StreamID, loop: Int)
        /// The loop's last `?compat=seed` listener of the stream left.
        case compatLeft(StreamID, loop: Int)
    }

    private let changes = NIOLockedValueBox<[Change]>([])
    /// Polled by the bus thread beside its socket.
    let wakeSignal = WakeSignal()

    /// Posts `change` and wakes the bus thread (once, however many changes arrive before it runs).
    func post(_ change: Change) {
        let wasEmpty = self.changes.withLockedValue { changes in
            changes.append(change)
            return changes.count == 1
        }
        if wasEmpty {
            self.wakeSignal.wake()
        }
    }

    /// Takes every change posted so far, in order.
    func take() -> [Change] {
        self.wakeSignal.clear()
        return self.changes.withLockedValue { changes in
            defer { changes.removeAll(keepingCapacity: true) }
            return changes
        }
    }
}
