import CZeroMQ

/// An error reported by libzmq, with the operation that failed and libzmq's own explanation.
public struct ZMQError: Error, Hashable, Sendable {
    /// The `errno` value libzmq reported.
    public var errorNumber: Int32
    /// What was being done, e.g. `"bind tcp://*:5555"`.
    public var operation: String

    /// Creates an error from the current `zmq_errno()`.
    static func current(_ operation: String) -> ZMQError {
        ZMQError(errorNumber: zmq_errno(), operation: operation)
    }

    /// True when the context was shut down or terminated (`ETERM`): the socket's owner should stop.
    public var isContextTerminated: Bool { self.errorNumber == ETERM }

    /// True when a non-blocking call found nothing to do, or a timed call timed out (`EAGAIN`).
    public var isWouldBlock: Bool { self.errorNumber == EAGAIN }

    /// True when a blocking call was interrupted by a signal (`EINTR`) and may be retried.
    public var isInterrupted: Bool { self.errorNumber == EINTR }
}

extension ZMQError: CustomStringConvertible {
    public var description: String {
        let reason = String(cString: zmq_strerror(self.errorNumber))
        return "ZeroMQ \(self.operation) failed: \(reason) (errno \(self.errorNumber))"
    }
}
