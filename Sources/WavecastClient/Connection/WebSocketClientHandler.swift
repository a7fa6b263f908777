import NIOCore
import NIOWebSocket

/// Asks a ``WebSocketClientHandler`` to close its connection politely: a close frame, then the
/// socket once the server answers (or after the close timeout).
struct WebSocketCloseRequest: Sendable {
    var code: WebSocketErrorCode
}

/// The client side of one WebSocket connection after the upgrade.
///
/// Inbound, it joins fragmented messages, hands each text message to its receiver, answers pings
/// with pongs, and answers a server's close frame with its own. Outbound, it masks every frame
/// that has no mask yet, as RFC 6455 requires of clients. Confined to its channel's event loop.
final class WebSocketClientHandler<Receiver: WebSocketMessageReceiver>: ChannelDuplexHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let receiver: Receiver
    private let closeTimeout: TimeAmount
    /// The parts of a fragmented message so far, and whether it is text.
    private var fragments: ByteBuffer?
    private var fragmentsAreText = false
    private var sentClose = false
    private var closure: WebSocketClosure?

    init(receiver: Receiver, closeTimeout: TimeAmount) {
        self.receiver = receiver
        self.closeTimeout = closeTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.receiver.webSocketConnected(at: NIODeadline.now().uptimeNanoseconds)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        switch frame.opcode {
        case .text where frame.fin && self.fragments == nil:
            self.receiver.webSocketReceived(text: frame.unmaskedData, at: NIODeadline.now().uptimeNanoseconds)
        case .text, .binary:
            self.fragmentsAreText = frame.opcode == .text
            var data = frame.unmaskedData
            if frame.fin {
                self.fragments = nil
                if self.fragmentsAreText {
                    self.receiver.webSocketReceived(text: data, at: NIODeadline.now().uptimeNanoseconds)
                }
            } else {
                var fragments = context.channel.allocator.buffer(capacity: data.readableBytes * 2)
                fragments.writeBuffer(&data)
                self.fragments = fragments
            }
        case .continuation:
            guard var fragments = self.fragments else { return }
            self.fragments = nil
            var data = frame.unmaskedData
            fragments.writeBuffer(&data)
            if !frame.fin {
                self.fragments = fragments
            } else if self.fragmentsAreText {
                self.receiver.webSocketReceived(text: fragments, at: NIODeadline.now().uptimeNanoseconds)
            }
        case .ping:
            guard !self.sentClose else { return }
            let pong = WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)
            context.writeAndFlush(Self.wrapOutboundOut(self.masked(pong)), promise: nil)
        case .connectionClose:
            self.closeReceived(context: context, frame: frame)
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.report(WebSocketClosure(code: nil, byServer: !self.sentClose))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        context.write(Self.wrapOutboundOut(self.masked(Self.unwrapOutboundIn(data))), promise: promise)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let request = event as? WebSocketCloseRequest else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        promise?.succeed()
        self.sendClose(context: context, code: request.code)
    }

    // MARK: Closing

    private func closeReceived(context: ChannelHandlerContext, frame: WebSocketFrame) {
        var data = frame.unmaskedData
        let code = data.readInteger(as: UInt16.self)
        if self.sentClose {
            // The server's answer to our close: the handshake is complete.
            context.close(promise: nil)
            return
        }
        self.report(WebSocketClosure(code: code ?? 1005, byServer: true))
        self.sentClose = true
        var payload = context.channel.allocator.buffer(capacity: 2)
        if let code { payload.writeInteger(code) }
        let reply = WebSocketFrame(fin: true, opcode: .connectionClose, data: payload)
        context.writeAndFlush(Self.wrapOutboundOut(self.masked(reply))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    private func sendClose(context: ChannelHandlerContext, code: WebSocketErrorCode) {
        guard !self.sentClose, context.channel.isActive else { return }
        self.sentClose = true
        var payload = context.channel.allocator.buffer(capacity: 2)
        payload.write(webSocketErrorCode: code)
        let frame = WebSocketFrame(fin: true, opcode: .connectionClose, data: payload)
        context.writeAndFlush(Self.wrapOutboundOut(self.masked(frame)), promise: nil)
        let channel = context.channel
        let timeout = context.eventLoop.scheduleTask(in: self.closeTimeout) { channel.close(promise: nil) }
        channel.closeFuture.whenComplete { _ in timeout.cancel() }
    }

    private func report(_ closure: WebSocketClosure) {
        guard self.closure == nil else { return }
        self.closure = closure
        self.receiver.webSocketClosed(closure)
    }

    private func masked(_ frame: WebSocketFrame) -> WebSocketFrame {
        guard frame.maskKey == nil else { return frame }
        var frame = frame
        frame.maskKey = .random()
        return frame
    }
}

@available(*, unavailable)
extension WebSocketClientHandler: Sendable {}
