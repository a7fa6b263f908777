import CZeroMQ

/// A ZeroMQ socket.
///
/// libzmq sockets are not thread safe: a socket belongs to the thread that created it and is used
/// and closed there, which is why this type is not `Sendable`.
public final class ZMQSocket {
    private var handle: UnsafeMutableRawPointer?
    /// Keeps the context alive while the socket is open: `zmq_ctx_term` in its deinit waits for every socket to close.
    private let context: ZMQContext
    /// The pattern this socket was created with.
    public let type: ZMQSocketType

    /// Creates a socket of `type` in `context`, with linger 0 so closing never blocks on unsent messages.
    public init(context: ZMQContext, type: ZMQSocketType) throws(ZMQError) {
        guard let handle = zmq_socket(context.handle, type.rawValue) else {
            throw ZMQError.current("zmq_socket")
        }
        self.handle = handle
        self.context = context
        self.type = type
        try self.setOption(ZMQ_LINGER, 0)
    }

    deinit {
        self.close()
    }

    /// Closes the socket; later calls fail with `ENOTSOCK`.
    public func close() {
        if let handle = self.handle {
            zmq_close(handle)
            self.handle = nil
        }
    }

    var rawHandle: UnsafeMutableRawPointer? { self.handle }

    // MARK: Options

    /// Sets an integer socket option (`ZMQ_LINGER`, `ZMQ_SNDHWM`, …).
    public func setOption(_ option: Int32, _ value: Int32) throws(ZMQError) {
        var value = value
        if zmq_setsockopt(self.handle, option, &value, MemoryLayout<Int32>.size) != 0 {
            throw ZMQError.current("setsockopt \(option)")
        }
    }

    /// Sets a 64-bit integer socket option (`ZMQ_MAXMSGSIZE`).
    public func setOption(_ option: Int32, int64 value: Int64) throws(ZMQError) {
        var value = value
        if zmq_setsockopt(self.handle, option, &value, MemoryLayout<Int64>.size) != 0 {
            throw ZMQError.current("setsockopt \(option)")
        }
    }

    /// Sets a binary socket option (`ZMQ_SUBSCRIBE`, `ZMQ_ROUTING_ID`, …).
    public func setOption(_ option: Int32, bytes: [UInt8]) throws(ZMQError) {
        let result = bytes.withUnsafeBytes { zmq_setsockopt(self.handle, option, $0.baseAddress, $0.count) }
        if result != 0 {
            throw ZMQError.current("setsockopt \(option)")
        }
    }

    /// Subscribes a SUB socket to messages whose first frame starts with `prefix` (empty: everything).
    public func subscribe(_ prefix: [UInt8] = []) throws(ZMQError) {
        try self.setOption(ZMQ_SUBSCRIBE, bytes: prefix)
    }

    /// Removes a SUB socket's subscription to `prefix` (one of as many as were added).
    public func unsubscribe(_ prefix: [UInt8]) throws(ZMQError) {
        try self.setOption(ZMQ_UNSUBSCRIBE, bytes: prefix)
    }

    /// Makes an XPUB socket pass on every subscription, not only the first to each prefix, so a
    /// publisher can answer each new subscriber (here: replay a stream's recent chunks).
    public func setPassesEverySubscription(_ on: Bool) throws(ZMQError) {
        try self.setOption(ZMQ_XPUB_VERBOSE, on ? 1 : 0)
    }

    /// Makes an XPUB socket pass on every subscription and every unsubscription (`ZMQ_XPUB_VERBOSER`).
    ///
    /// A plain XPUB passes an unsubscription only when the last subscriber of a prefix leaves. A proxy
    /// that forwards subscriptions to an XSUB needs each one: the XSUB counts subscriptions per prefix
    /// and tells its publishers only when the count drops to zero, so a proxy that passed every
    /// subscription (``setPassesEverySubscription(_:)``) but only the last unsubscription would leave
    /// the count above zero for ever, and its publishers sending a prefix nobody wants.
    public func setPassesEveryUnsubscription(_ on: Bool) throws(ZMQError) {
        try self.setOption(ZMQ_XPUB_VERBOSER, on ? 1 : 0)
    }

    /// Sets how long a blocking receive waits before failing with `EAGAIN` (-1: forever).
    public func setReceiveTimeout(milliseconds: Int32) throws(ZMQError) {
        try self.setOption(ZMQ_RCVTIMEO, milliseconds)
    }

    /// Sets how long a blocking send waits before failing with `EAGAIN` (-1: forever).
    public func setSendTimeout(milliseconds: Int32) throws(ZMQError) {
        try self.setOption(ZMQ_SNDTIMEO, milliseconds)
    }

    /// Sets how many messages may queue for receiving before libzmq drops (SUB) or stops reading.
    public func setReceiveHighWaterMark(_ messages: Int32) throws(ZMQError) {
        try self.setOption(ZMQ_RCVHWM, messages)
    }

    /// Sets how many messages may queue for sending before libzmq drops (PUB) or blocks.
    public func setSendHighWaterMark(_ messages: Int32) throws(ZMQError) {
        try self.setOption(ZMQ_SNDHWM, messages)
    }

    /// Sets how long unsent messages may hold up closing the socket (-1: until sent, 0: drop them).
    public func setLinger(milliseconds: Int32) throws(ZMQError) {
        try self.setOption(ZMQ_LINGER, milliseconds)
    }

    /// Lets the socket connect to (and bind on) IPv6 addresses as well as IPv4 ones.
    public func setIPv6(_ on: Bool) throws(ZMQError) {
        try self.setOption(ZMQ_IPV6, on ? 1 : 0)
    }

    /// The endpoint the socket last bound or connected to, with any wildcard port resolved.
    public var lastEndpoint: String {
        var buffer = [CChar](repeating: 0, count: 512)
        var size = buffer.count
        guard zmq_getsockopt(self.handle, ZMQ_LAST_ENDPOINT, &buffer, &size) == 0 else { return "" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// True when the last frame received is followed by more frames of the same message.
    private var hasMoreFrames: Bool {
        var more: Int32 = 0
        var size = MemoryLayout<Int32>.size
        guard zmq_getsockopt(self.handle, ZMQ_RCVMORE, &more, &size) == 0 else { return false }
        return more != 0
    }

    // MARK: Connections

    /// Binds to `endpoint`, e.g. `tcp://*:5555` or `tcp://127.0.0.1:*` (see ``lastEndpoint``).
    public func bind(_ endpoint: String) throws(ZMQError) {
        if zmq_bind(self.handle, endpoint) != 0 {
            throw ZMQError.current("bind \(endpoint)")
        }
    }

    /// Connects to `endpoint`; libzmq connects, and reconnects, in the background.
    public func connect(_ endpoint: String) throws(ZMQError) {
        if zmq_connect(self.handle, endpoint) != 0 {
            throw ZMQError.current("connect \(endpoint)")
        }
    }

    /// Stops connecting to `endpoint`, given as it was to ``connect(_:)``, and drops what was queued for it.
    ///
    /// On a socket that receives, use ``disconnect(_:takingWaitingMessage:)``: a plain disconnect after a poll can
    /// abort the process.
    public func disconnect(_ endpoint: String) throws(ZMQError) {
        if zmq_disconnect(self.handle, endpoint) != 0 {
            throw ZMQError.current("disconnect \(endpoint)")
        }
    }

    /// Stops connecting to `endpoint`, as ``disconnect(_:)`` does, after taking the message a poll may have begun
    /// to read, which `waiting` gets.
    ///
    /// A poll reads the first frame of a (X)SUB socket's next message ahead, to check it against the subscriptions.
    /// If that message came over the connection dropped next, libzmq can no longer read its other frames and aborts
    /// the process: `Assertion failed: !_more (src/fq.cpp:112)` (libzmq issues 2163 and 3485; Debian 12's 4.3.4 has it).
    /// Receiving one whole message first leaves none begun; libzmq makes only whole messages visible to a reader,
    /// so no other can be half read.
    ///
    /// - Parameters:
    ///   - endpoint: The endpoint as it was given to ``connect(_:)``.
    ///   - waiting: Called with the message taken, if one was waiting (from any connection), so that it is not lost.
    /// - Throws: ``ZMQError`` when the receive fails other than for want of a message, or the disconnect fails
    ///   (`ENOENT`: `endpoint` is not connected).
    public func disconnect(
        _ endpoint: String,
        takingWaitingMessage waiting: ([[UInt8]]) -> Void
    ) throws(ZMQError) {
        if let frames = try self.receive(dontWait: true) {
            waiting(frames)
        }
        try self.disconnect(endpoint)
    }

    // MARK: Messages

    /// Sends `frames` as one multipart message.
    ///
    /// - Parameters:
    ///   - frames: The message's frames, in order; at least one.
    ///   - dontWait: Fail with `EAGAIN` instead of blocking when the message cannot be queued.
    public func send(_ frames: [[UInt8]], dontWait: Bool = false) throws(ZMQError) {
        for index in frames.indices {
            try self.send(frame: frames[index], more: index < frames.count - 1, dontWait: dontWait)
        }
    }

    /// Sends one frame of a multipart message; `more` says another frame follows.
    public func send(frame: [UInt8], more: Bool, dontWait: Bool = false) throws(ZMQError) {
        var flags: Int32 = 0
        if more { flags |= ZMQ_SNDMORE }
        if dontWait { flags |= ZMQ_DONTWAIT }
        while true {
            let result = frame.withUnsafeBytes { zmq_send(self.handle, $0.baseAddress, $0.count, flags) }
            if result >= 0 { return }
            let error = ZMQError.current("send")
            if !error.isInterrupted { throw error }
        }
    }

    /// Receives one whole multipart message.
    ///
    /// - Parameter dontWait: Return `nil` at once when no message is waiting.
    /// - Returns: The frames, or `nil` when `dontWait` is set and nothing is waiting, or a receive
    ///   timeout expired.
    public func receive(dontWait: Bool = false) throws(ZMQError) -> [[UInt8]]? {
        var userID: String?
        return try self.receive(dontWait: dontWait, userID: &userID, readingUserID: false)
    }

    /// Receives one whole multipart message and the `User-Id` the context's ``ZAPHandler`` gave its
    /// sender (`nil` when the socket is not a CURVE server or no handler named one).
    ///
    /// - Parameters:
    ///   - dontWait: Return `nil` at once when no message is waiting.
    ///   - userID: Set to the sender's user id.
    public func receive(dontWait: Bool = false, userID: inout String?) throws(ZMQError) -> [[UInt8]]? {
        try self.receive(dontWait: dontWait, userID: &userID, readingUserID: true)
    }

    private func receive(
        dontWait: Bool,
        userID: inout String?,
        readingUserID: Bool
    ) throws(ZMQError) -> [[UInt8]]? {
        var frames: [[UInt8]] = []
        var message = zmq_msg_t()
        zmq_msg_init(&message)
        defer { zmq_msg_close(&message) }
        repeat {
            // Only the first frame may be waited for; the rest of a message arrives atomically.
            let flags = (dontWait && frames.isEmpty) ? ZMQ_DONTWAIT : 0
            while zmq_msg_recv(&message, self.handle, flags) < 0 {
                let error = ZMQError.current("receive")
                if error.isInterrupted { continue }
                if error.isWouldBlock && frames.isEmpty { return nil }
                throw error
            }
            // Read off the last frame: a ROUTER's routing-id frame is its own, with no peer metadata.
            if readingUserID && zmq_msg_more(&message) == 0 {
                userID = zmq_msg_gets(&message, "User-Id").map { String(cString: $0) }
            }
            let size = zmq_msg_size(&message)
            if size == 0 {
                frames.append([])
            } else {
                let data = zmq_msg_data(&message)!
                frames.append([UInt8](UnsafeRawBufferPointer(start: data, count: size)))
            }
        } while zmq_msg_more(&message) != 0
        return frames
    }

    /// Waits up to `timeout` milliseconds (-1: forever) for a message to be readable.
    public func waitReadable(timeoutMilliseconds: Int) throws(ZMQError) -> Bool {
        var poller = ZMQPoller()
        poller.add(self)
        return try !poller.poll(timeoutMilliseconds: timeoutMilliseconds).isEmpty
    }
}

@available(*, unavailable)
extension ZMQSocket: Sendable {}
