public import NIOCore

/// What ``WebSocketClient/events(from:on:configuration:)`` delivers.
public enum WebSocketClientEvent: Sendable {
    /// The upgrade completed, at this monotonic time (nanoseconds).
    case connected(atNanoseconds: UInt64)
    /// One whole text message and when it arrived (monotonic nanoseconds). Scan it with
    /// ``ClientMessageScanner/scan(_:)-(ByteBuffer)``.
    case text(ByteBuffer, atNanoseconds: UInt64)
    /// The connection ended; nothing follows.
    case closed(WebSocketClosure)
}
