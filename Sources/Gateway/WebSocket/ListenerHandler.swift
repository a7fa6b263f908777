import NIOCore
import NIOWebSocket
import WavecastCore

/// One WebSocket client of one stream, after the upgrade.
///
/// Outbound, it writes pre-built frames (the shared buffers of ``OutgoingEvent``) through a
/// ``PrebuiltFrameWriter`` at the head of the pipeline, so nothing is encoded per client.
/// Inbound, it answers pings, echoes a close, and closes a client that breaks RFC 6455 (see
/// ``InboundFrameChecker``). It closes a client that falls more than `--max-client-lag-ms` behind
/// with 1013. Confined to its channel's event loop.
final class ListenerHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame

    /// The stream this client listens to.
    let stream: StreamID
    /// Whether it asked for the prototype's message shape (`?compat=seed`).
    let compat: Bool
    /// Its place in its hub's list; -1 when not in one.
    var hubIndex = -1
    /// It has been sent a sync chunk, so every later chunk decodes; before that, chunks are held back.
    var hasSynced = false

    private let hub: LoopHub
    private let writer: PrebuiltFrameWriter
    private let metrics: GatewayMetrics
    private let maxLagNanoseconds: UInt64
    private let pingNanoseconds: UInt64
    private let idleNanoseconds: UInt64
    private var context: ChannelHandlerContext?
    private var unwritableSince: UInt64?
    private var lastHeard: UInt64 = 0
    private var lastPing: UInt64 = 0
    private var closing = false
    private var inbound: InboundFrameChecker

    init(stream: StreamID, compat: Bool, hub: LoopHub, writer: PrebuiltFrameWriter) {
        self.writer = writer
        self.stream = stream
        self.compat = compat
        self.hub = hub
        self.metrics = hub.metrics
        self.maxLagNanoseconds = hub.configuration.maxClientLag.wholeNanoseconds
        self.pingNanoseconds = hub.configuration.pingInterval.wholeNanoseconds
        self.idleNanoseconds = hub.configuration.idleTimeout.wholeNanoseconds
        self.inbound = InboundFrameChecker(maxMessageBytes: hub.configuration.maxClientFrameBytes)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.lastHeard = NIODeadline.now().uptimeNanoseconds
        self.metrics.connections.increment()
        self.metrics.clientCount.add(1, ordering: .relaxed)
        self.hub.add(self)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.hub.remove(self)
        self.context = nil
        self.metrics.connections.decrement()
        self.metrics.clientCount.subtract(1, ordering: .relaxed)
    }

    // MARK: Outbound

    /// Queues one pre-built frame (``flush()`` sends it); returns false when the client is
    /// closing or was just closed for being too slow.
    @discardableResult
    func write(_ frame: ByteBuffer, now: UInt64) -> Bool {
        guard let context, !self.closing else { return false }
        if context.channel.isWritable {
            self.unwritableSince = nil
        } else if let since = self.unwritableSince {
            if now &- since > self.maxLagNanoseconds {
                self.metrics.slowClientCloses.increment()
                self.close(code: 1013, reason: "too slow: fell more than the lag limit behind")
                return false
            }
        } else {
            self.unwritableSince = now
        }
        self.writer.write(frame)
        return true
    }

    /// Sends what ``write(_:now:)`` queued.
    func flush() {
        self.writer.flush()
    }

    /// Sends a close frame with `code`, then closes the connection once it is written.
    func close(code: UInt16, reason: String) {
        guard let context, !self.closing else { return }
        self.closing = true
        let frame = WebSocketFrameHeader.closeFrame(code: code, reason: reason)
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        self.writer.writeAndFlush(ByteBuffer(bytes: frame), eventLoop: context.eventLoop).whenComplete { _ in
            loopBound.value.close(promise: nil)
        }
        // A client that stopped reading never lets the close frame out: don't wait for it forever.
        context.eventLoop.scheduleTask(in: .seconds(2)) { loopBound.value.close(promise: nil) }
    }

    /// Pings a quiet client, and closes one that has said nothing for the idle timeout.
    func checkIdle(now: UInt64) {
        guard self.context != nil, !self.closing else { return }
        let quiet = now &- self.lastHeard
        if quiet > self.idleNanoseconds {
            self.close(code: 1001, reason: "idle timeout: no pong or frame")
        } else if quiet > self.pingNanoseconds && now &- self.lastPing > self.pingNanoseconds {
            self.lastPing = now
            let ping = WebSocketFrameHeader.frame(opcode: .ping, payload: Array("wavecast".utf8))
            self.writer.writeAndFlush(ByteBuffer(bytes: ping))
        }
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        self.lastHeard = NIODeadline.now().uptimeNanoseconds
        guard !self.closing else { return }
        switch self.inbound.receive(frame) {
        case .none:
            // Listeners have nothing to say; their frames only show they are alive.
            break
        case .pong(let payload):
            self.writer.writeAndFlush(ByteBuffer(bytes: WebSocketFrameHeader.frame(opcode: .pong, payload: payload)))
        case .close(let code, let reason):
            self.close(code: code, reason: reason)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch error {
        case NIOWebSocketError.invalidFrameLength:
            self.close(code: 1009, reason: "frame too big: over \(self.inbound.maxMessageBytes) bytes")
        case NIOWebSocketError.fragmentedControlFrame:
            self.close(code: 1002, reason: "control frames must not be fragmented")
        case NIOWebSocketError.multiByteControlFrameLength:
            self.close(code: 1002, reason: "control frame over 125 bytes")
        default:
            self.close(code: 1002, reason: "protocol error")
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.hub.remove(self)
        context.fireChannelInactive()
    }
}

@available(*, unavailable)
extension ListenerHandler: Sendable {}

/// The rules of RFC 6455 §5 for the frames a client sends, checked one frame at a time: masking,
/// reserved bits and opcodes, control frames, fragmentation, UTF-8 of text messages, close codes
/// and the message size limit. Pure: no I/O, nothing buffered.
struct InboundFrameChecker {
    /// What to do about one frame.
    enum Action: Equatable {
        /// Nothing: the frame was valid and needs no answer.
        case none
        /// Answer a ping with a pong carrying `payload`.
        case pong([UInt8])
        /// Send a close frame with `code` and `reason`, then close: an error, or the echo of the client's close.
        case close(code: UInt16, reason: String)
    }

    /// The largest message (all its fragments) a client may send.
    let maxMessageBytes: Int
    /// The opcode of the message in progress, between its first frame and its last.
    private var openMessage: WebSocketOpcode?
    private var messageBytes = 0
    private var utf8 = UTF8Validator()

    init(maxMessageBytes: Int) {
        self.maxMessageBytes = maxMessageBytes
    }

    /// Checks one frame, and returns what to do about it.
    mutating func receive(_ frame: WebSocketFrame) -> Action {
        guard frame.maskKey != nil else { return .close(code: 1002, reason: "client frames must be masked") }
        guard !frame.rsv1, !frame.rsv2, !frame.rsv3 else {
            return .close(code: 1002, reason: "reserved bits set, but no extension was agreed")
        }
        switch frame.opcode {
        case .ping, .pong, .connectionClose:
            guard frame.fin, frame.length <= 125 else {
                return .close(code: 1002, reason: "control frames must be whole and at most 125 bytes")
            }
            var payload = frame.unmaskedData
            let bytes = payload.readBytes(length: payload.readableBytes) ?? []
            switch frame.opcode {
            case .ping: return .pong(bytes)
            case .pong: return .none
            default: return Self.answer(toClose: bytes)
            }
        case .text, .binary:
            guard self.openMessage == nil else {
                return .close(code: 1002, reason: "a new message began before the last one ended")
            }
            self.openMessage = frame.opcode
            self.messageBytes = 0
            self.utf8 = UTF8Validator()
            return self.continueMessage(with: frame)
        case .continuation:
            guard self.openMessage != nil else {
                return .close(code: 1002, reason: "continuation frame without a message to continue")
            }
            return self.continueMessage(with: frame)
        default:
            return .close(code: 1002, reason: "reserved opcode \(UInt8(webSocketOpcode: frame.opcode))")
        }
    }

    /// Adds one data frame to the open message, and ends the message on its last frame.
    private mutating func continueMessage(with frame: WebSocketFrame) -> Action {
        self.messageBytes += frame.length
        guard self.messageBytes <= self.maxMessageBytes else {
            return .close(code: 1009, reason: "message too big: over \(self.maxMessageBytes) bytes")
        }
        if self.openMessage == .text {
            let data = frame.unmaskedData
            let valid = data.withUnsafeReadableBytes { self.utf8.consume($0) }
            guard valid, !frame.fin || self.utf8.isComplete else {
                return .close(code: 1007, reason: "text message is not valid UTF-8")
            }
        }
        if frame.fin {
            self.openMessage = nil
        }
        return .none
    }

    /// The answer to a client's close with `payload`: its code echoed when valid (1000 when it has none),
    /// else 1002, or 1007 for a reason that is not UTF-8.
    private static func answer(toClose payload: [UInt8]) -> Action {
        guard !payload.isEmpty else { return .close(code: 1000, reason: "") }
        guard payload.count >= 2 else { return .close(code: 1002, reason: "close payload of 1 byte") }
        let code = UInt16(payload[0]) << 8 | UInt16(payload[1])
        switch code {
        case 1000...1003, 1007...1014, 3000...4999:
            break
        default:
            return .close(code: 1002, reason: "invalid close code \(code)")
        }
        var reason = UTF8Validator()
        guard reason.consume(payload[2...]), reason.isComplete else {
            return .close(code: 1007, reason: "close reason is not valid UTF-8")
        }
        return .close(code: code, reason: "")
    }
}

/// Validates UTF-8 incrementally, so a code point may be split between fragments (the WHATWG decoder's
/// algorithm: rejects overlong forms, surrogates and code points past U+10FFFF as soon as they show).
struct UTF8Validator {
    /// Continuation bytes still expected for the code point in progress.
    private var needed = 0
    /// The range the next continuation byte must fall in.
    private var lower: UInt8 = 0x80
    private var upper: UInt8 = 0xBF

    /// Whether no code point is left unfinished.
    var isComplete: Bool { self.needed == 0 }

    /// Takes in more bytes; false as soon as they cannot be UTF-8, whatever follows.
    mutating func consume(_ bytes: some Sequence<UInt8>) -> Bool {
        for byte in bytes {
            if self.needed == 0 {
                switch byte {
                case 0x00...0x7F: continue
                case 0xC2...0xDF: self.needed = 1
                case 0xE0: (self.needed, self.lower) = (2, 0xA0)
                case 0xE1...0xEC, 0xEE...0xEF: self.needed = 2
                case 0xED: (self.needed, self.upper) = (2, 0x9F)
                case 0xF0: (self.needed, self.lower) = (3, 0x90)
                case 0xF1...0xF3: self.needed = 3
                case 0xF4: (self.needed, self.upper) = (3, 0x8F)
                default: return false
                }
            } else {
                guard byte >= self.lower, byte <= self.upper else { return false }
                (self.needed, self.lower, self.upper) = (self.needed - 1, 0x80, 0xBF)
            }
        }
        return true
    }
}
