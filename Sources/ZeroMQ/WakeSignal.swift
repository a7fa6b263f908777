#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A self-pipe the reactor polls beside its sockets, so other threads can wake it without a socket.
final class WakeSignal: Sendable {
    /// The read end, to poll for readability.
    let fileDescriptor: Int32
    private let writeEnd: Int32

    init() {
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
    func wake() {
        var byte: UInt8 = 1
        _ = write(self.writeEnd, &byte, 1)
    }

    /// Empties the pipe once the poller has woken.
    func clear() {
        var buffer = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        while withUnsafeMutableBytes(of: &buffer, { read(self.fileDescriptor, $0.baseAddress, $0.count) }) > 0 {}
    }
}
