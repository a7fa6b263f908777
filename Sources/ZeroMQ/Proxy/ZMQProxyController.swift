/// Steers a running ``ZMQProxy`` from another thread: a `pair` socket connected to the proxy's control socket.
///
/// Like every socket it belongs to the thread that made it; the proxy's thread never touches it, so a signal
/// handler, say, makes one, asks for statistics, terminates the proxy, and lets it go, all on its own thread.
/// A `pair` socket takes one peer at a time: use one controller per proxy.
public final class ZMQProxyController {
    private let socket: ZMQSocket

    /// Connects to the control socket bound at `endpoint` in `context` (an `inproc://` endpoint may be
    /// bound after this: libzmq queues what is sent until it is).
    ///
    /// - Throws: ``ZMQError`` when the socket cannot be made or the endpoint is malformed.
    public init(context: ZMQContext, endpoint: String) throws(ZMQError) {
        self.socket = try ZMQSocket(context: context, type: .pair)
        try self.socket.connect(endpoint)
    }

    /// Sends a command that has no answer (``ZMQProxy/Command/pause``, ``ZMQProxy/Command/resume``,
    /// ``ZMQProxy/Command/terminate``).
    ///
    /// - Throws: ``ZMQError`` when it cannot be queued (`EAGAIN`: no proxy is bound at the endpoint).
    public func send(_ command: ZMQProxy.Command) throws(ZMQError) {
        try self.socket.send(frame: command.bytes, more: false, dontWait: true)
    }

    /// Asks the proxy what it has forwarded so far.
    ///
    /// - Parameter timeoutMilliseconds: How long to wait for the answer.
    /// - Returns: The counts, or `nil` when no answer came in time (the proxy has stopped, or is not running yet).
    /// - Throws: ``ZMQError`` when the socket fails.
    public func statistics(timeoutMilliseconds: Int) throws(ZMQError) -> ZMQProxyStatistics? {
        try self.send(.statistics)
        guard try self.socket.waitReadable(timeoutMilliseconds: timeoutMilliseconds),
            let frames = try self.socket.receive(dontWait: true)
        else { return nil }
        return ZMQProxyStatistics(frames: frames)
    }

    /// Closes the socket; the controller cannot be used afterwards.
    public func close() {
        self.socket.close()
    }
}

@available(*, unavailable)
extension ZMQProxyController: Sendable {}
