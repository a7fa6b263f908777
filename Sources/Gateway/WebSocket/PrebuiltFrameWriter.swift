import NIOCore

/// Sits at the head end of a listener's pipeline and writes already-framed WebSocket bytes,
/// past NIO's `WebSocketFrameEncoder` (which would re-frame, and allocate, on every write).
///
/// The shared frame buffers of a fan-out go through here unchanged. Confined to its event loop.
final class PrebuiltFrameWriter: ChannelOutboundHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    /// Queues one whole frame; ``flush()`` sends it.
    func write(_ frame: ByteBuffer) {
        self.context?.write(Self.wrapOutboundOut(frame), promise: nil)
    }

    /// Sends the queued frames.
    func flush() {
        self.context?.flush()
    }

    /// Writes and flushes one whole frame.
    func writeAndFlush(_ frame: ByteBuffer) {
        self.context?.writeAndFlush(Self.wrapOutboundOut(frame), promise: nil)
    }

    /// Writes and flushes one whole frame, completing when it has been written (or failed).
    func writeAndFlush(_ frame: ByteBuffer, eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        guard let context = self.context else { return eventLoop.makeSucceededVoidFuture() }
        return context.writeAndFlush(Self.wrapOutboundOut(frame))
    }
}

@available(*, unavailable)
extension PrebuiltFrameWriter: Sendable {}
