import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

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
/// The descriptor is kept past NIO's scoped `withUnsafeTransportIfAvailable`, so it is dropped
/// before NIO can close the socket and its number go to another connection: when a close is asked
/// for (it passes through here), and when NIO closes the socket itself, at `channelInactive`, which
/// NIO reports right after closing it and which this handler, at the head, sees first. Between the
/// two only NIO's own callouts run (failed writes, which also drop it; the close promise), never a
/// fan-out: this relies on NIO's close order (`BaseSocketChannel.close0`). Only on Linux;
/// elsewhere every frame takes NIO's pipeline. Confined to its event loop.
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
    /// The connection's socket while it may be written directly; -1 when it may not (or is gone).
    private var descriptor: CInt = -1 {
        didSet { if self.descriptor != oldValue { self.directDescriptorChanged?() } }
    }
    /// Writes handed to NIO that it has not finished: while any is left, frames queue behind it.
    private(set) var writesInNIO = 0 {
        didSet { if (self.writesInNIO == 0) != (oldValue == 0) { self.directDescriptorChanged?() } }
    }
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
    var hasDescriptor: Bool { self.descriptor >= 0 }

    /// The socket a whole frame may be sent to right now, or -1: while NIO holds anything for this
    /// connection (or it has no socket), frames must go through ``writeAndFlushThroughNIO(_:)``.
    var directDescriptor: CInt { self.writesInNIO == 0 ? self.descriptor : -1 }

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
        self.descriptor = descriptor ?? -1
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.descriptor = -1
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        // NIO has closed the socket: its number may soon belong to another connection.
        self.descriptor = -1
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // The connection is failing; let NIO's own write path meet whatever is wrong with it.
        self.descriptor = -1
        context.fireErrorCaught(error)
    }

    /// Writes from handlers further along (none after the upgrade today) queue like the rest.
    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        self.queuedWrites += 1
        context.write(data, promise: self.trackedPromise(cascadingTo: promise))
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        // Before NIO closes the socket: its callouts run before `channelInactive` reaches us.
        self.descriptor = -1
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
            let sent = Self.sendWithoutBlocking(rest, to: descriptor)
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
        self.writesInNIO += 1
        tracked.futureResult.assumeIsolated().whenComplete { result in
            self.writesInNIO -= 1
            if case .failure = result {
                // A failed write means the connection is going: no more direct sends to it.
                self.descriptor = -1
            }
        }
        if let promise {
            tracked.futureResult.cascade(to: promise)
        }
        return tracked
    }

    /// Sends what the kernel takes now without blocking; returns the bytes sent, 0 when none
    /// (the buffer is full, or an error NIO will meet and report on its own write).
    static func sendWithoutBlocking(_ frame: ByteBuffer, to descriptor: CInt) -> Int {
        #if os(Linux)
        frame.withUnsafeReadableBytes { bytes in
            while true {
                let sent = send(descriptor, bytes.baseAddress, bytes.count, CInt(MSG_NOSIGNAL | MSG_DONTWAIT))
                if sent >= 0 { return sent }
                if errno != EINTR { return 0 }
            }
        }
        #else
        // Not reached: the writer takes no descriptor off Linux (see `sendsToSockets`).
        0
        #endif
    }
}

@available(*, unavailable)
extension PrebuiltFrameWriter: Sendable {}
