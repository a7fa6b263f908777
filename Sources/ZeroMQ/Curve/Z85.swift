import CZeroMQ

/// ZeroMQ's Z85 text encoding of binary keys (RFC 32): 5 characters for every 4 bytes.
public enum Z85 {
    /// `bytes` as Z85 text; `nil` unless the count is a multiple of 4.
    public static func encode(_ bytes: [UInt8]) -> String? {
        guard bytes.count % 4 == 0 else { return nil }
        var text = [CChar](repeating: 0, count: bytes.count * 5 / 4 + 1)
        guard zmq_z85_encode(&text, bytes, bytes.count) != nil else { return nil }
        return String(decoding: text.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The bytes `text` encodes; `nil` unless it is valid Z85 whose length is a multiple of 5.
    public static func decode(_ text: String) -> [UInt8]? {
        let characters = Array(text.utf8)
        // libzmq does not check the alphabet, so the characters are checked here.
        guard !characters.isEmpty, characters.count % 5 == 0,
            characters.allSatisfy({ Self.alphabet.contains($0) })
        else { return nil }
        var bytes = [UInt8](repeating: 0, count: characters.count * 4 / 5)
        guard zmq_z85_decode(&bytes, text) != nil else { return nil }
        return bytes
    }

    private static let alphabet = Set(
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#".utf8
    )
}
