public import NIOCore

/// Receives what one WebSocket connection brings, on its event loop.
///
/// Implement it with a non-Sendable `final class`: every call comes on the connection's event
/// loop, so it needs no lock.
public protocol WebSocketMessageReceiver: AnyObject {
    /// The upgrade completed and messages may follow.
    ///
    /// - Parameter nanoseconds: when, on the monotonic clock (`NIODeadline.now().uptimeNanoseconds`).
    func webSocketConnected(at nanoseconds: UInt64)

    /// One whole text message (fragments already joined).
    ///
    /// - Parameters:
    ///   - text: the message's UTF-8 bytes: a view into NIO's read buffer, valid for this call.
    ///   - nanoseconds: when its last frame was read, on the monotonic clock.
    func webSocketReceived(text: ByteBuffer, at nanoseconds: UInt64)

    /// The connection is closed; called once.
    func webSocketClosed(_ closure: WebSocketClosure)
}
