/// Standard base64 (RFC 4648, with padding), written straight into a byte array.
///
/// The gateway encodes each chunk once for all its listeners; this avoids Foundation's
/// `String` round trip.
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// The length of the base64 text for `count` bytes.
    public static func encodedLength(of count: Int) -> Int { (count + 2) / 3 * 4 }

    /// Appends the base64 text of `bytes` to `output`.
    ///
    /// An array, not any collection: the gateway runs this for every chunk, and a generic called
    /// from another module runs unspecialized, an iterator call per byte.
    public static func encode(_ bytes: [UInt8], into output: inout [UInt8]) {
        let start = output.count
        output.append(contentsOf: repeatElement(0, count: Self.encodedLength(of: bytes.count)))
        output.withUnsafeMutableBufferPointer { text in
            bytes.withUnsafeBufferPointer { input in
                Self.alphabet.withUnsafeBufferPointer { alphabet in
                    var out = start
                    var index = 0
                    while index + 3 <= input.count {
                        let value =
                            UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
                        text[out] = alphabet[Int(value >> 18 & 0x3F)]
                        text[out + 1] = alphabet[Int(value >> 12 & 0x3F)]
                        text[out + 2] = alphabet[Int(value >> 6 & 0x3F)]
                        text[out + 3] = alphabet[Int(value & 0x3F)]
                        index += 3
                        out += 4
                    }
                    let rest = input.count - index
                    guard rest > 0 else { return }
                    let second = rest == 2 ? UInt32(input[index + 1]) : 0
                    let value = UInt32(input[index]) << 16 | second << 8
                    text[out] = alphabet[Int(value >> 18 & 0x3F)]
                    text[out + 1] = alphabet[Int(value >> 12 & 0x3F)]
                    text[out + 2] = rest == 2 ? alphabet[Int(value >> 6 & 0x3F)] : UInt8(ascii: "=")
                    text[out + 3] = UInt8(ascii: "=")
                }
            }
        }
    }

    /// The base64 text of `bytes`.
    public static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        Self.encode(bytes, into: &output)
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes base64 text; `nil` when it is not valid padded base64.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        let characters = Array(text.utf8)
        guard characters.count % 4 == 0 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(characters.count / 4 * 3)
        var index = 0
        while index < characters.count {
            var value: UInt32 = 0
            var padding = 0
            for offset in 0..<4 {
                let character = characters[index + offset]
                let digit: UInt32
                switch character {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"): digit = UInt32(character - UInt8(ascii: "A"))
                case UInt8(ascii: "a")...UInt8(ascii: "z"): digit = UInt32(character - UInt8(ascii: "a")) + 26
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(character - UInt8(ascii: "0")) + 52
                case UInt8(ascii: "+"): digit = 62
                case UInt8(ascii: "/"): digit = 63
                case UInt8(ascii: "=") where index + 4 == characters.count && offset >= 2:
                    digit = 0
                    padding += 1
                default: return nil
                }
                if padding > 0 && character != UInt8(ascii: "=") { return nil }
                value = value << 6 | digit
            }
            output.append(UInt8(value >> 16 & 0xFF))
            if padding < 2 { output.append(UInt8(value >> 8 & 0xFF)) }
            if padding < 1 { output.append(UInt8(value & 0xFF)) }
            index += 4
        }
        return output
    }
}
