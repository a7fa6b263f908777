import CZeroMQ

/// Waits for any of several sockets, or plain file descriptors, to become readable (`zmq_poll`).
public struct ZMQPoller {
    private var items: [zmq_pollitem_t] = []

    /// Creates an empty poller.
    public init() {}

    /// Adds a socket to watch for incoming messages; returns its index in ``poll(timeoutMilliseconds:)``'s result.
    @discardableResult
    public mutating func add(_ socket: ZMQSocket) -> Int {
        self.items.append(zmq_pollitem_t(socket: socket.rawHandle, fd: -1, events: Int16(ZMQ_POLLIN), revents: 0))
        return self.items.count - 1
    }

    /// Adds a file descriptor (an eventfd or pipe used to wake the poller) to watch for readability.
    @discardableResult
    public mutating func add(fileDescriptor: Int32) -> Int {
        self.items.append(zmq_pollitem_t(socket: nil, fd: fileDescriptor, events: Int16(ZMQ_POLLIN), revents: 0))
        return self.items.count - 1
    }

    /// Waits until something is readable or `timeoutMilliseconds` pass (-1: forever, 0: don't wait).
    ///
    /// - Returns: The indices of the readable items; empty on timeout or interruption by a signal.
    public mutating func poll(timeoutMilliseconds: Int) throws(ZMQError) -> [Int] {
        let count = Int32(self.items.count)
        let result = self.items.withUnsafeMutableBufferPointer { zmq_poll($0.baseAddress, count, timeoutMilliseconds) }
        if result < 0 {
            let error = ZMQError.current("poll")
            if error.isInterrupted { return [] }
            throw error
        }
        if result == 0 { return [] }
        return self.items.indices.filter { self.items[$0].revents & Int16(ZMQ_POLLIN) != 0 }
    }
}
