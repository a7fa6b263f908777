import NIOConcurrencyHelpers

/// Messages other threads hand to a socket thread, with the ``WakeSignal`` that thread polls beside its sockets.
///
/// A socket belongs to one thread, so work for it is posted here and the thread takes it when it wakes. Only the
/// first message since the thread last took them writes to the pipe (a system call); the rest ride on that wake-up.
/// The lock is a pthread mutex, which ThreadSanitizer models (docs/RELIABILITY.md explains why not `Mutex`).
public final class Mailbox<Message: Sendable>: Sendable {
    private let messages = NIOLockedValueBox<[Message]>([])
    /// The signal to poll for readability (``ZMQPoller/add(fileDescriptor:)``).
    public let wakeSignal = WakeSignal()

    /// Creates an empty mailbox.
    public init() {}

    /// Posts `message` and wakes the socket thread if it has not been woken since it last took its messages.
    public func post(_ message: Message) {
        let wasEmpty = self.messages.withLockedValue { messages in
            messages.append(message)
            return messages.count == 1
        }
        if wasEmpty {
            self.wakeSignal.wake()
        }
    }

    /// Posts `batch`, in order, with at most one wake-up for all of it.
    public func post(contentsOf batch: some Collection<Message>) {
        guard !batch.isEmpty else { return }
        let wasEmpty = self.messages.withLockedValue { messages in
            let wasEmpty = messages.isEmpty
            messages.append(contentsOf: batch)
            return wasEmpty
        }
        if wasEmpty {
            self.wakeSignal.wake()
        }
    }

    /// Wakes the socket thread without a message (to have it look at a stop flag, say).
    public func wake() {
        self.wakeSignal.wake()
    }

    /// Moves every message posted so far, in order, into `taken`, which must be empty.
    ///
    /// The two arrays trade storage, so a thread that empties `taken` with `removeAll(keepingCapacity: true)` after
    /// each turn takes its messages without allocating.
    public func take(into taken: inout [Message]) {
        precondition(taken.isEmpty, "take(into:) appends nothing: empty the array first")
        self.wakeSignal.clear()
        self.messages.withLockedValue { messages in
            swap(&messages, &taken)
        }
    }
}
