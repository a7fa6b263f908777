/// How a WebSocket connection ended.
public struct WebSocketClosure: Sendable, Hashable {
    /// The status code of the server's close frame; `nil` when the connection ended without one
    /// (what RFC 6455 reports as 1006).
    public var code: UInt16?
    /// Whether the server ended it (its close frame, or the socket dropped) rather than this client.
    public var byServer: Bool

    /// Creates a closure record.
    public init(code: UInt16?, byServer: Bool) {
        self.code = code
        self.byServer = byServer
    }
}
