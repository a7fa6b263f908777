public import NIOCore

/// How a ``WebSocketClient`` connection behaves.
public struct WebSocketClientConfiguration: Sendable {
    /// The largest frame accepted from the server, in bytes; larger ones close the connection (1009).
    public var maxFrameSize: Int
    /// How long a TCP connect may take.
    public var connectTimeout: TimeAmount
    /// How long the HTTP upgrade may take once connected.
    public var handshakeTimeout: TimeAmount
    /// How long to wait for the server's close frame after sending ours before closing the socket.
    public var closeTimeout: TimeAmount
    /// Extra request headers for the upgrade request (e.g. `Origin`).
    public var headers: [(name: String, value: String)]

    /// Creates a configuration; every parameter has a default fit for listening to a gateway.
    public init(
        maxFrameSize: Int = 1 << 20,
        connectTimeout: TimeAmount = .seconds(10),
        handshakeTimeout: TimeAmount = .seconds(10),
        closeTimeout: TimeAmount = .seconds(2),
        headers: [(name: String, value: String)] = []
    ) {
        self.maxFrameSize = maxFrameSize
        self.connectTimeout = connectTimeout
        self.handshakeTimeout = handshakeTimeout
        self.closeTimeout = closeTimeout
        self.headers = headers
    }
}
