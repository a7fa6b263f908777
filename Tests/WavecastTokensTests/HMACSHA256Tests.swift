import Testing

@testable import WavecastTokens

/// libsodium's HMAC-SHA256 as bound here: RFC 4231's test cases, keys shorter and longer than the block included,
/// and a code that differs anywhere, or has another length, is refused.
struct HMACSHA256Tests {
    /// RFC 4231 §4.2–4.8: key, data and the expected code (case 5's is the first 128 bits only, as the RFC gives
    /// it).
    static let rfc4231: [(key: [UInt8], data: [UInt8], code: String)] = [
        (
            Array(repeating: 0x0b, count: 20), Array("Hi There".utf8),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        ),
        (
            Array("Jefe".utf8), Array("what do ya want for nothing?".utf8),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        ),
        (
            Array(repeating: 0xaa, count: 20), Array(repeating: 0xdd, count: 50),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"
        ),
        (
            Array(1...25), Array(repeating: 0xcd, count: 50),
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"
        ),
        (Array(repeating: 0x0c, count: 20), Array("Test With Truncation".utf8), "a3b6167473100ee06e0c796c2955552b"),
        (
            Array(repeating: 0xaa, count: 131), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        ),
        (
            Array(repeating: 0xaa, count: 131),
            Array(
                ("This is a test using a larger than block-size key and a larger than block-size data. The key needs"
                    + " to be hashed before being used by the HMAC algorithm.").utf8
            ),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"
        ),
    ]

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    @Test(arguments: Self.rfc4231.indices)
    func rfc4231TestCase(index: Int) {
        let (key, data, expected) = Self.rfc4231[index]
        let code = HMACSHA256.authenticationCode(for: data, key: key)
        #expect(code.count == 32)
        #expect(Self.hex(code).hasPrefix(expected), "RFC 4231 test case \(index + 1)")
        #expect(HMACSHA256.isValid(code, for: data, key: key))
    }

    @Test func aCodeThatDiffersInAnyByteIsRefused() {
        let (key, data, _) = Self.rfc4231[1]
        let code = HMACSHA256.authenticationCode(for: data, key: key)
        for index in code.indices {
            var forged = code
            forged[index] ^= 0x01
            #expect(!HMACSHA256.isValid(forged, for: data, key: key), "byte \(index) flipped")
        }
        #expect(!HMACSHA256.isValid(code, for: data + [0], key: key))
        // Another key. (Not `key + [0]`: HMAC pads a short key with zeros, so that one is the same key.)
        #expect(!HMACSHA256.isValid(code, for: data, key: key + [1]))
        #expect(!HMACSHA256.isValid(code, for: data, key: [key[0] ^ 0x01] + key.dropFirst()))
    }

    @Test func aCodeOfAnotherLengthIsRefused() {
        let (key, data, _) = Self.rfc4231[0]
        let code = HMACSHA256.authenticationCode(for: data, key: key)
        #expect(!HMACSHA256.isValid(Array(code.prefix(16)), for: data, key: key))
        #expect(!HMACSHA256.isValid(code + [0], for: data, key: key))
        #expect(!HMACSHA256.isValid([], for: data, key: key))
    }

    @Test func emptyDataHasACode() {
        // Python: hmac.new(b"key", b"", hashlib.sha256).hexdigest()
        let code = HMACSHA256.authenticationCode(for: [], key: Array("key".utf8))
        #expect(Self.hex(code) == "5d5d139563c95b5967b9bd9a8c9b233a9dedb45072794cd232dc1b74832607d0")
    }
}
