import CZeroMQ

/// libzmq's built-in proxy (`zmq_proxy_steerable`): it forwards every message from a frontend socket to
/// a backend socket and every message from the backend to the frontend, until it is told to stop.
///
/// It runs on the calling thread, which must own both sockets and the control socket: libzmq polls and
/// forwards in C, one message at a time, with no Swift code and no copy of the frames (each `zmq_msg_t` is
/// handed from one socket to the other). Other threads steer it through the control socket, with a
/// ``ZMQProxyController`` of their own connected to the endpoint the control socket is bound at.
///
/// Why libzmq's loop rather than one of ours: a bus proxy has nothing to decide per message — topics,
/// subscriptions and mark reports all pass as they are — so any loop of ours could only add a copy and a
/// wake-up per message to what libzmq does anyway.
public enum ZMQProxy {
    /// A command a ``ZMQProxyController`` sends; the bytes are libzmq's (`zmq_proxy_steerable(3)`).
    public enum Command: Sendable, Hashable {
        /// Stop forwarding; messages wait in the sockets' queues (and are dropped past their high-water marks).
        case pause
        /// Forward again after ``pause``.
        case resume
        /// Make ``run(frontend:backend:control:)`` return.
        case terminate
        /// Ask for the counts so far; the proxy answers with eight frames (``ZMQProxyStatistics``).
        case statistics

        /// The command as the proxy reads it.
        public var bytes: [UInt8] {
            switch self {
            case .pause: Array("PAUSE".utf8)
            case .resume: Array("RESUME".utf8)
            case .terminate: Array("TERMINATE".utf8)
            case .statistics: Array("STATISTICS".utf8)
            }
        }
    }

    /// Forwards between `frontend` and `backend`, both ways, until a ``Command/terminate`` arrives on `control`.
    ///
    /// - Parameters:
    ///   - frontend: One side (for a bus proxy, the XSUB its publishers connect to).
    ///   - backend: The other side (the XPUB its subscribers connect to).
    ///   - control: A `pair` socket, bound (usually at an `inproc://` endpoint) before the call, that
    ///     ``ZMQProxyController``s connect to. Commands are read from it and statistics sent back on it.
    /// - Throws: ``ZMQError`` when libzmq stops for another reason: the context was shut down (`ETERM`), or
    ///   a socket failed.
    public static func run(frontend: ZMQSocket, backend: ZMQSocket, control: ZMQSocket) throws(ZMQError) {
        while true {
            if zmq_proxy_steerable(frontend.rawHandle, backend.rawHandle, nil, control.rawHandle) == 0 {
                return
            }
            let error = ZMQError.current("zmq_proxy_steerable")
            // A signal handled on this thread interrupts libzmq's poll; nothing was lost, so carry on.
            if !error.isInterrupted { throw error }
        }
    }
}
