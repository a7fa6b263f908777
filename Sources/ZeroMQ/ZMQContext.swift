import CZeroMQ

/// A libzmq context: the I/O threads and the registry of sockets created from it.
///
/// libzmq documents contexts as thread safe, so one context is shared by every thread of a
/// process; the sockets made from it are not, and each stays with the thread that uses it.
public final class ZMQContext: @unchecked Sendable {
    // Thread safety: libzmq guarantees that zmq_ctx_* and zmq_socket are safe to call from any thread.
    let handle: UnsafeMutableRawPointer

    /// Creates a context.
    public init() throws(ZMQError) {
        guard let handle = zmq_ctx_new() else {
            throw ZMQError.current("zmq_ctx_new")
        }
        self.handle = handle
    }

    /// Makes every blocking call on this context's sockets return `ETERM`, so their threads can stop.
    ///
    /// Sockets must still be closed by their owning threads; the context is terminated on deinit.
    public func shutdown() {
        zmq_ctx_shutdown(self.handle)
    }

    deinit {
        while zmq_ctx_term(self.handle) != 0 && zmq_errno() == EINTR {}
    }
}
