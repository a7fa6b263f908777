import WavecastCore
import ZeroMQ

/// How event loops tell the bus thread which streams they want: a loop posts when it gets its first listener of a
/// stream and when its last one leaves, and the bus thread, which alone may touch the SUB socket, takes the changes
/// the next time it wakes.
typealias InterestInbox = Mailbox<InterestChange>

/// A change in one loop's listeners, posted to the bus thread's ``InterestInbox``.
enum InterestChange: Sendable, Hashable {
    /// The loop has its first listener of the stream.
    case joined(StreamID, loop: Int)
    /// The loop's last listener of the stream left.
    case left(StreamID, loop: Int)
    /// The loop has its first `?compat=seed` listener of the stream: chunks need their seed frame too.
    case compatJoined(StreamID, loop: Int)
    /// The loop's last `?compat=seed` listener of the stream left.
    case compatLeft(StreamID, loop: Int)
}
