import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A connection's socket descriptor, borrowed from NIO so whole frames can be sent to it past NIO's
/// pipeline, and the rules for when that is safe.
///
/// Two rules make it safe. Bytes keep their order: while NIO holds any write for the connection,
/// nothing may overtake it, so the descriptor is not offered. And a descriptor given back is never
/// used again: once NIO closes the socket its number can belong to a new connection, so the writer
/// gives it back before that can happen (see ``PrebuiltFrameWriter``) and a later ``borrow(_:)`` is
/// refused. Apart from ``sendWithoutBlocking(_:to:)`` this is bookkeeping, tested without sockets.
struct BorrowedSocket: Sendable {
    private enum State: Sendable, Hashable {
        /// Not borrowed yet (or the channel has no socket, as an `EmbeddedChannel`).
        case none
        /// Held: frames may go to this descriptor while NIO has no unfinished write.
        case borrowed(CInt)
        /// Given back: the number may name another connection's socket now.
        case givenBack
    }

    private var state = State.none
    /// Writes handed to NIO that it has not finished: while any is left, frames queue behind them.
    private(set) var writesInNIO = 0

    /// Creates a writer's socket, not borrowed yet.
    init() {}

    /// Whether a socket is held (it may still have to wait for NIO's writes to drain).
    var isBorrowed: Bool {
        if case .borrowed = self.state { true } else { false }
    }

    /// The descriptor a whole frame may be sent to right now, or -1: not borrowed, given back, or NIO
    /// still holds writes that the frame must not overtake.
    var sendableDescriptor: CInt {
        guard case .borrowed(let descriptor) = self.state, self.writesInNIO == 0 else { return -1 }
        return descriptor
    }

    /// Borrows `descriptor`, the channel's socket (`nil` when the channel has none). Refused once the
    /// socket has been given back.
    mutating func borrow(_ descriptor: CInt?) {
        guard self.state != .givenBack else { return }
        if let descriptor, descriptor >= 0 {
            self.state = .borrowed(descriptor)
        } else {
            self.state = .none
        }
    }

    /// Gives the socket back for good: NIO is about to close it, has closed it, or the connection is failing.
    mutating func giveBack() {
        self.state = .givenBack
    }

    /// A write was handed to NIO: until it finishes, frames go through NIO behind it.
    mutating func writeHandedToNIO() {
        self.writesInNIO += 1
    }

    /// NIO finished a write it was handed. A failed write means the connection is going: the socket is given back.
    mutating func writeFinishedInNIO(failed: Bool) {
        precondition(self.writesInNIO > 0, "NIO finished a write it was not handed")
        self.writesInNIO -= 1
        if failed {
            self.giveBack()
        }
    }

    /// Sends what the kernel takes of `bytes` now, without blocking; returns the bytes sent, 0 when
    /// none: the send buffer is full, or an error that NIO will meet and report on its own write.
    static func sendWithoutBlocking(_ bytes: ByteBuffer, to descriptor: CInt) -> Int {
        #if os(Linux)
        bytes.withUnsafeReadableBytes { bytes in
            while true {
                let sent = send(descriptor, bytes.baseAddress, bytes.count, CInt(MSG_NOSIGNAL | MSG_DONTWAIT))
                if sent >= 0 { return sent }
                if errno != EINTR { return 0 }
            }
        }
        #else
        // Not reached: a writer borrows no socket off Linux (``PrebuiltFrameWriter/sendsToSockets``).
        0
        #endif
    }
}
