/// Server-to-client WebSocket frame headers (RFC 6455 §5.2): unmasked, so one frame can be built
/// once and the same bytes written to every client.
public enum WebSocketFrameHeader {
    /// WebSocket opcodes a server sends.
    public enum Opcode: UInt8, Sendable {
        case text = 0x1
        case binary = 0x2
        case close = 0x8
        case ping = 0x9
        case pong = 0xA
    }

    /// Appends the header of a final (FIN) frame with `opcode` and a payload of `length` bytes.
    public static func append(opcode: Opcode, payloadLength length: Int, to bytes: inout [UInt8]) {
        bytes.append(0x80 | opcode.rawValue)
        if length < 126 {
            bytes.append(UInt8(length))
        } else if length <= 0xFFFF {
            bytes.append(126)
            bytes.append(UInt8(length >> 8))
            bytes.append(UInt8(length & 0xFF))
        } else {
            bytes.append(127)
            for shift in stride(from: 56, through: 0, by: -8) {
                bytes.append(UInt8(truncatingIfNeeded: UInt64(length) >> UInt64(shift)))
            }
        }
    }

    /// A whole frame: header plus `payload`.
    public static func frame(opcode: Opcode, payload: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(payload.count + 10)
        Self.append(opcode: opcode, payloadLength: payload.count, to: &bytes)
        bytes += payload
        return bytes
    }

    /// A close frame with a status code and a UTF-8 reason (at most 123 bytes, cut to fit).
    public static func closeFrame(code: UInt16, reason: String) -> [UInt8] {
        var payload: [UInt8] = [UInt8(code >> 8), UInt8(code & 0xFF)]
        var reasonBytes = Array(reason.utf8)
        if reasonBytes.count > 123 {
            reasonBytes = Array(reasonBytes.prefix(123))
            // Never cut a UTF-8 sequence in half: drop the last character if the cut left it incomplete.
            var lead = reasonBytes.count - 1
            while lead > 0, reasonBytes[lead] & 0xC0 == 0x80 { lead -= 1 }
            let first = reasonBytes[lead]
            let length = first < 0x80 ? 1 : first >= 0xF0 ? 4 : first >= 0xE0 ? 3 : 2
            if reasonBytes.count - lead < length {
                reasonBytes.removeSubrange(lead...)
            }
        }
        payload += reasonBytes
        return Self.frame(opcode: .close, payload: payload)
    }
}
