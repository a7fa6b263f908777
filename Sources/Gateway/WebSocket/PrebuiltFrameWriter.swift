import NIOCore

/// Sits at the head end of a listener's pipeline and writes already-framed WebSocket bytes,
/// past NIO's `WebSocketFrameEncoder` (which would re-frame, and allocate, on every write).
///
/// A frame written and flushed while NIO holds nothing for this connection goes straight to the
/// socket with one `send`: the fan-out's steady state, where the kernel takes every frame whole.
/// Anything the kernel does not take at once (a full send buffer, a partial write), and every
/// frame after it until NIO has written all it holds, goes through NIO's pipeline as usual. So the
/// bytes on the wire keep the order of the calls, and back-pressure, writability and the slow
/// client check see exactly what they saw before.
///
/// The descriptor is kept past NIO's scoped `withUnsafeTransportIfAvailable` (a ``BorrowedSocket``,
/// which holds the rules), so it is given back before NIO can close the socket and its number go
/// to another connection: when a close is asked for (it passes through here), and when NIO closes
/// the socket itself, at `channelInactive`, which NIO reports right after closing it and which this
/// handler, at the head, sees first. Between the two only NIO's own callouts run (failed writes,
/// which also give it back; the close promise), never a fan-out: this relies on NIO's close order
/// (`BaseSocketChannel.close0`). Only on Linux; elsewhere every frame takes NIO's pipeline.
/// Confined to its event loop.
///
/// Package.swift pins swift-nio to 2.101.x for that reason. Before allowing a newer minor
/// version, read its `BaseSocketChannel.close0` (the socket is closed, then `channelInactive`
/// fires, with no task in between) and run `PrebuiltFrameWriterTests` and `DirectSendTests`.
final class PrebuiltFrameWriter: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var context: ChannelHandlerContext?
    /// Whether frames may go straight to the socket; off, every frame goes through the pipeline.
    private let sendsDirectly: Bool
    /// The connection's socket, while it may be written directly.
    private var socket = BorrowedSocket() {
        didSet {
            if self.socket.sendableDescriptor != oldValue.sendableDescriptor { self.directDescriptorChanged?() }
        }
    }
    /// Writes handed to NIO that it has not finished: while any is left, frames queue behind it.
    var writesInNIO: Int { self.socket.writesInNIO }
    /// Called when ``directDescriptor`` may have changed, so a fan-out's copy of it stays true.
    var directDescriptorChanged: (() -> Void)?
    /// Frames sent by `send` and frames sent through NIO, for tests and the benchmark's notes.
    private(set) var directWrites = 0
    private(set) var queuedWrites = 0

    /// Whether this platform sends frames straight to sockets (Linux) or always through NIO.
    static let sendsToSockets: Bool = {
        #if os(Linux)
        true
        #else
        false
        #endif
    }()

    /// Whether the writer holds the connection's socket (it still waits for NIO's queue to send).
    var hasDescriptor: Bool { self.socket.isBorrowed }

    /// The socket a whole frame may be sent to right now, or -1: while NIO holds anything for this
    /// connection (or it has no socket), frames must go through ``writeAndFlushThroughNIO(_:)``.
    var directDescriptor: CInt { self.socket.sendableDescriptor }

    /// With `sendsDirectly` false, every frame takes NIO's pipeline (for tests that watch it).
    init(sendsDirectly: Bool = true) {
        self.sendsDirectly = sendsDirectly
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive {
            self.takeDescriptor(context: context)
        }
    }

    func channelActive(context: ChannelHandlerContext) {
        self.takeDescriptor(context: context)
        context.fireChannelActive()
    }

    /// Notes the socket to send to, when the channel is a socket channel (an EmbeddedChannel is not).
    private func takeDescriptor(context: ChannelHandlerContext) {
        guard self.sendsDirectly, Self.sendsToSockets else { return }
        let descriptor = try? context.pipeline.syncOperations.withUnsafeTransportIfAvailable(
            of: NIOBSDSocket.Handle.self
        ) { $0 }
        self.socket.borrow(descriptor)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.socket.giveBack()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        // NIO has closed the socket: its number may soon belong to another connection.
        self.socket.giveBack()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // The connection is failing; let NIO's own write path meet whatever is wrong with it.
        self.socket.giveBack()
        context.fireErrorCaught(error)
    }

    /// Writes from handlers further along (none after the upgrade today) queue like the rest.
    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        self.queuedWrites += 1
        context.write(data, promise: self.trackedPromise(cascadingTo: promise))
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        // Before NIO closes the socket: its callouts run before `channelInactive` reaches us.
        self.socket.giveBack()
        context.close(mode: mode, promise: promise)
    }

    /// Queues one whole frame; ``flush()`` sends it.
    func write(_ frame: ByteBuffer) {
        guard let context else { return }
        self.queuedWrites += 1
        context.write(Self.wrapOutboundOut(frame), promise: self.trackedPromise(cascadingTo: nil))
    }

    /// Sends the queued frames.
    func flush() {
        self.context?.flush()
    }

    /// Writes and flushes one whole frame: straight to the socket when nothing is queued before it.
    func writeAndFlush(_ frame: ByteBuffer) {
        var rest = frame
        let descriptor = self.directDescriptor
        if descriptor >= 0 {
            let sent = BorrowedSocket.sendWithoutBlocking(rest, to: descriptor)
            if sent == rest.readableBytes {
                self.directWrites += 1
                return
            }
            rest.moveReaderIndex(forwardBy: sent)
        }
        self.writeAndFlushThroughNIO(rest)
    }

    /// Writes and flushes bytes through NIO's pipeline: a frame, or what the kernel did not take of one.
    func writeAndFlushThroughNIO(_ bytes: ByteBuffer) {
        guard let context else { return }
        self.queuedWrites += 1
        context.writeAndFlush(Self.wrapOutboundOut(bytes), promise: self.trackedPromise(cascadingTo: nil))
    }

    /// Writes and flushes one whole frame through NIO, completing when it has been written (or failed).
    func writeAndFlush(_ frame: ByteBuffer, eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        guard let context else { return eventLoop.makeSucceededVoidFuture() }
        let promise = eventLoop.makePromise(of: Void.self)
        self.queuedWrites += 1
        context.writeAndFlush(Self.wrapOutboundOut(frame), promise: self.trackedPromise(cascadingTo: promise))
        return promise.futureResult
    }

    /// A promise for a write handed to NIO, counted in `writesInNIO` until NIO completes it.
    private func trackedPromise(cascadingTo promise: EventLoopPromise<Void>?) -> EventLoopPromise<Void>? {
        guard let context else { return promise }
        let tracked = context.eventLoop.makePromise(of: Void.self)
        self.socket.writeHandedToNIO()
        tracked.futureResult.assumeIsolated().whenComplete { result in
            let failed: Bool
            if case .failure = result { failed = true } else { failed = false }
            self.socket.writeFinishedInNIO(failed: failed)
        }
        if let promise {
            tracked.futureResult.cascade(to: promise)
        }
        return tracked
    }
}

@available(*, unavailable)
extension PrebuiltFrameWriter: Sendable {}
