import Testing
import WavecastCore

/// Server frame headers (RFC 6455 §5.2): every length encoding, and close frames.
struct WebSocketFrameHeaderTests {
    private static func header(_ opcode: WebSocketFrameHeader.Opcode, _ length: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        WebSocketFrameHeader.append(opcode: opcode, payloadLength: length, to: &bytes)
        return bytes
    }

    @Test func lengthEncodings() {
        #expect(Self.header(.text, 0) == [0x81, 0x00])
        #expect(Self.header(.text, 125) == [0x81, 125])
        #expect(Self.header(.text, 126) == [0x81, 126, 0x00, 126])
        #expect(Self.header(.text, 65535) == [0x81, 126, 0xFF, 0xFF])
        #expect(Self.header(.text, 65536) == [0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0])
        #expect(Self.header(.binary, 0x1_0203_0405) == [0x82, 127, 0, 0, 0, 1, 2, 3, 4, 5])
    }

    @Test func opcodesAreFinalAndUnmasked() {
        #expect(Self.header(.close, 2) == [0x88, 2])
        #expect(Self.header(.ping, 0) == [0x89, 0])
        #expect(Self.header(.pong, 3) == [0x8A, 3])
    }

    @Test(arguments: [0, 1, 125, 126, 127, 65535, 65536, 70000])
    func frameIsHeaderThenPayload(length: Int) {
        let payload = (0..<length).map { UInt8(truncatingIfNeeded: $0) }
        let frame = WebSocketFrameHeader.frame(opcode: .text, payload: payload)
        let header = Self.header(.text, length)
        #expect(frame.count == header.count + length)
        #expect(Array(frame.prefix(header.count)) == header)
        #expect(Array(frame.dropFirst(header.count)) == payload)
    }

    @Test func closeFrameHasCodeThenReason() {
        #expect(
            WebSocketFrameHeader.closeFrame(code: 1001, reason: "bye") == [0x88, 5, 0x03, 0xE9] + Array("bye".utf8)
        )
        #expect(WebSocketFrameHeader.closeFrame(code: 1013, reason: "") == [0x88, 2, 0x03, 0xF5])
    }

    /// The reason of the close frame's payload (after the header and the code), checked to be valid UTF-8.
    private static func reason(of frame: [UInt8]) -> [UInt8] {
        #expect(frame[0] == 0x88)
        #expect(Int(frame[1]) == frame.count - 2)
        #expect(frame.count - 2 <= 125, "a control frame's payload is at most 125 bytes")
        let reason = Array(frame.dropFirst(4))
        #expect(String(validating: reason, as: UTF8.self) != nil, "the reason is cut inside a UTF-8 sequence")
        return reason
    }

    @Test func longReasonIsCutTo123Bytes() {
        let ascii = String(repeating: "a", count: 200)
        #expect(Self.reason(of: WebSocketFrameHeader.closeFrame(code: 1000, reason: ascii)).count == 123)
        let exact = String(repeating: "b", count: 123)
        #expect(Self.reason(of: WebSocketFrameHeader.closeFrame(code: 1000, reason: exact)) == Array(exact.utf8))
    }

    @Test(arguments: [
        // (ASCII prefix, multi-byte character, bytes kept): the cut at 123 bytes falls inside the character.
        (122, "é", 122),  // C3 A9: cut after C3
        (121, "€", 121),  // E2 82 AC: cut after E2 82
        (122, "€", 122),  // cut after E2
        (120, "😀", 120),  // F0 9F 98 80: cut after F0 9F 98
        (121, "😀", 121),  // cut after F0 9F
        (122, "😀", 122),  // cut after F0
    ])
    func cutNeverSplitsACharacter(prefix: Int, character: String, kept: Int) {
        let reason = String(repeating: "x", count: prefix) + character + String(repeating: "y", count: 10)
        let cut = Self.reason(of: WebSocketFrameHeader.closeFrame(code: 1000, reason: reason))
        #expect(cut == Array(String(repeating: "x", count: prefix).utf8))
        #expect(cut.count == kept)
    }

    @Test(arguments: [
        // A character that ends exactly at byte 123 is whole: it stays.
        (121, "é"),
        (120, "€"),
        (119, "😀"),
    ])
    func wholeCharacterAtTheLimitIsKept(prefix: Int, character: String) {
        let reason = String(repeating: "x", count: prefix) + character + "tail"
        let cut = Self.reason(of: WebSocketFrameHeader.closeFrame(code: 1000, reason: reason))
        #expect(cut == Array((String(repeating: "x", count: prefix) + character).utf8))
        #expect(cut.count == 123)
    }
}
