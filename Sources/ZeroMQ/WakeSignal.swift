#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A self-pipe a socket thread polls beside its ZeroMQ sockets (``ZMQPoller/add(fileDescriptor:)``), so other
/// threads can wake it without touching its sockets, which only that thread may use.
public final class WakeSignal: Sendable {
    /// The read end, to poll for readability.
    public let fileDescriptor: Int32
    private let writeEnd: Int32

    /// Makes the pipe; both ends are non-blocking and close on exec.
    public init() {
        var ends: [Int32] = [-1, -1]
        let result = pipe(&ends)
        precondition(result == 0, "pipe failed: errno \(errno)")
        for end in ends {
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
        self.fileDescriptor = ends[0]
        self.writeEnd = ends[1]
    }

    deinit {
        close(self.fileDescriptor)
        close(self.writeEnd)
    }

    /// Wakes the poller; safe from any thread. A full pipe already means "wake", so errors are ignored.
    public func wake() {
        var byte: UInt8 = 1
        _ = write(self.writeEnd, &byte, 1)
    }

    /// Empties the pipe once the poller has woken.
    public func clear() {
        var buffer = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        while withUnsafeMutableBytes(of: &buffer, { read(self.fileDescriptor, $0.baseAddress, $0.count) }) > 0 {}
    }
}
