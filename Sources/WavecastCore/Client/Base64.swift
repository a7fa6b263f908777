/// Standard base64 (RFC 4648, with padding), written straight into a byte array.
///
/// The gateway encodes each chunk once for all its listeners; this avoids Foundation's
/// `String` round trip.
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// The length of the base64 text for `count` bytes.
    public static func encodedLength(of count: Int) -> Int { (count + 2) / 3 * 4 }

    /// Appends the base64 text of `bytes` to `output`.
    public static func encode(_ bytes: some Collection<UInt8>, into output: inout [UInt8]) {
        output.reserveCapacity(output.count + Self.encodedLength(of: bytes.count))
        var iterator = bytes.makeIterator()
        while let first = iterator.next() {
            let second = iterator.next()
            let third = iterator.next()
            let value = UInt32(first) << 16 | UInt32(second ?? 0) << 8 | UInt32(third ?? 0)
            output.append(Self.alphabet[Int(value >> 18 & 0x3F)])
            output.append(Self.alphabet[Int(value >> 12 & 0x3F)])
            output.append(second == nil ? UInt8(ascii: "=") : Self.alphabet[Int(value >> 6 & 0x3F)])
            output.append(third == nil ? UInt8(ascii: "=") : Self.alphabet[Int(value & 0x3F)])
        }
    }

    /// The base64 text of `bytes`.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
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
