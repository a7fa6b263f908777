/// Helpers that render header bytes (four-character codes, tags, GUIDs) for messages.
enum WAVFourCC {
    /// `'LIST'` when every byte is printable ASCII, otherwise the bytes in hex (`bytes 00 01 02 03`).
    static func describe(_ bytes: [UInt8]) -> String {
        if !bytes.isEmpty && bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) {
            return "'" + String(decoding: bytes, as: UTF8.self) + "'"
        }
        return "bytes " + bytes.map { self.hex8($0) }.joined(separator: " ")
    }

    static func hex8(_ value: UInt8) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return digits.count == 1 ? "0" + digits : digits
    }

    static func hex16(_ value: UInt16) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return "0x" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// A GUID in its registry form, e.g. `00000001-0000-0010-8000-00AA00389B71`.
    static func guid(_ bytes: [UInt8]) -> String {
        guard bytes.count == 16 else { return self.describe(bytes) }
        let order = [3, 2, 1, 0, -1, 5, 4, -1, 7, 6, -1, 8, 9, -1, 10, 11, 12, 13, 14, 15]
        return order.map { $0 < 0 ? "-" : self.hex8(bytes[$0]) }.joined()
    }
}
