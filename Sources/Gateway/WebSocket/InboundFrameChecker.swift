import NIOCore
import NIOWebSocket
import WavecastCore

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
        /// A whole text message in one frame, valid UTF-8: something the client says (a token renewal).
        /// Fragmented text messages are checked but not kept: nothing is buffered.
        case text([UInt8])
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
            defer { self.openMessage = nil }
            if self.openMessage == .text && frame.opcode == .text {
                var data = frame.unmaskedData
                return .text(data.readBytes(length: data.readableBytes) ?? [])
            }
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
