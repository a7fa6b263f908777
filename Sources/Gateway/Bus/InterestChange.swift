import WavecastCore
import ZeroMQ

/// How event loops tell the bus thread which streams they want, and what became of marks: a loop posts when it gets
/// its first listener of a stream and when its last one leaves, and when it sent, lost or heard echoed a mark; the
/// bus thread, which alone may touch the bus socket, takes the changes the next time it wakes.
typealias InterestInbox = Mailbox<InterestChange>

/// A change in one loop's listeners, or news of a mark, posted to the bus thread's ``InterestInbox``.
enum InterestChange: Sendable, Hashable {
    /// The loop has its first listener of the stream; `resuming` when that listener asked for `?resume=`, so the loop
    /// needs the stream's whole resume window, not only its burst.
    case joined(StreamID, loop: Int, resuming: Bool = false)
    /// The loop's last listener of the stream left.
    case left(StreamID, loop: Int)
    /// The loop has its first `?compat=seed` listener of the stream: chunks need their seed frame too.
    case compatJoined(StreamID, loop: Int)
    /// The loop's last `?compat=seed` listener of the stream left.
    case compatLeft(StreamID, loop: Int)
    /// The loop sent the mark to this many listeners.
    case markSent(StreamID, epoch: UInt32, name: String, listeners: Int)
    /// A `clear` overtook the mark on the loop: nobody here was sent it.
    case markCut(StreamID, epoch: UInt32, name: String)
    /// A listener echoed the mark: it played the audio before it.
    case markEchoed(StreamID, epoch: UInt32, name: String)
}
