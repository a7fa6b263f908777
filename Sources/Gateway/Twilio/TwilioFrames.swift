import NIOCore
import WavecastCore

/// The WebSocket frames the gateway sends Twilio, built so that a chunk's audio is encoded once for every call.
///
/// A `media` message is `{"event":"media","streamSid":"<sid>","media":{"payload":"<base64 µ-law>"}}`. The
/// `streamSid` differs per call, so a message cannot be shared whole; it is split at the payload: the bus thread
/// builds the shared tail, `<base64>"}}`, once per chunk (``mediaTail(_:)``), and each call keeps its own head, the
/// frame header and `{"event":"media","streamSid":"<sid>","media":{"payload":"`, built again only when the tail's
/// length changes (every chunk of a stream has the same length but its last). A chunk then costs a call two writes
/// of buffers that already exist, the head's and the shared tail's, and no allocation.
struct TwilioFrames {
    /// The call's `streamSid`, JSON-escaped.
    private let escapedSid: [UInt8]
    /// The JSON before the payload: `{"event":"media","streamSid":"…","media":{"payload":"`.
    private let mediaPrefix: [UInt8]
    /// The frame header and ``mediaPrefix`` for a tail of ``cachedTailLength`` bytes.
    private var cachedHead: ByteBuffer?
    private var cachedTailLength = -1

    /// Makes the frames of the call `streamSid`.
    init(streamSid: String) {
        var escaped: [UInt8] = []
        JSONValue.string(streamSid).write(into: &escaped)
        self.escapedSid = escaped
        self.mediaPrefix =
            Array(#"{"event":"media","streamSid":"#.utf8) + escaped + Array(#","media":{"payload":""#.utf8)
    }

    /// The shared tail of every call's `media` message for a chunk of µ-law `bytes`: `<base64>"}}`.
    static func mediaTail(_ bytes: [UInt8]) -> [UInt8] {
        var tail: [UInt8] = []
        tail.reserveCapacity(Base64.encodedLength(of: bytes.count) + 3)
        Base64.encode(bytes, into: &tail)
        tail += Array(#""}}"#.utf8)
        return tail
    }

    /// The frame header and JSON head of this call's `media` message whose shared tail is `tailLength` bytes.
    mutating func mediaHead(tailLength: Int) -> ByteBuffer {
        if let head = self.cachedHead, self.cachedTailLength == tailLength {
            return head
        }
        var bytes: [UInt8] = []
        WebSocketFrameHeader.append(opcode: .text, payloadLength: self.mediaPrefix.count + tailLength, to: &bytes)
        bytes += self.mediaPrefix
        let head = ByteBuffer(bytes: bytes)
        self.cachedHead = head
        self.cachedTailLength = tailLength
        return head
    }

    /// Twilio's `clear`: drop the audio buffered for the call (barge-in).
    func clear() -> ByteBuffer {
        self.frame(Array(#"{"event":"clear","streamSid":"#.utf8) + self.escapedSid + [UInt8(ascii: "}")])
    }

    /// Twilio's `mark`: Twilio answers with the same mark once the audio sent before it has played.
    func mark(_ name: String) -> ByteBuffer {
        var json = Array(#"{"event":"mark","streamSid":"#.utf8) + self.escapedSid + Array(#","mark":{"name":"#.utf8)
        JSONValue.string(name).write(into: &json)
        json += Array("}}".utf8)
        return self.frame(json)
    }

    private func frame(_ json: [UInt8]) -> ByteBuffer {
        ByteBuffer(bytes: WebSocketFrameHeader.frame(opcode: .text, payload: json))
    }
}
