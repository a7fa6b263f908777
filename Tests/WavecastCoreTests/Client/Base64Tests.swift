import Foundation
import Testing
import WavecastCore

/// The gateway's own base64 against Foundation's, and its strict decoder.
struct Base64Tests {
    /// Reproducible pseudo-random bytes (SplitMix64), so a failure can be replayed.
    private static func bytes(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        for _ in 0..<count {
            state &+= 0x9E37_79B9_7F4A_7C15
            var mixed = state
            mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
            mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
            bytes.append(UInt8(truncatingIfNeeded: mixed ^ (mixed >> 31)))
        }
        return bytes
    }

    @Test(arguments: 0...5)
    func shortInputsMatchFoundation(length: Int) {
        for seed in UInt64(0)..<64 {
            let bytes = Self.bytes(count: length, seed: seed)
            #expect(Base64.encode(bytes) == Data(bytes).base64EncodedString())
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
        }
    }

    @Test func randomInputsMatchFoundationAndRoundTrip() {
        for seed in UInt64(0)..<300 {
            let bytes = Self.bytes(count: Int(seed * 7 % 1500), seed: seed)
            let expected = Data(bytes).base64EncodedString()
            #expect(Base64.encode(bytes) == expected)
            #expect(Base64.encodedLength(of: bytes.count) == expected.utf8.count)
            #expect(Base64.decode(expected) == bytes)
        }
    }

    @Test func appendsToExistingOutput() {
        var output = Array("prefix:".utf8)
        Base64.encode([0xFF, 0xE3, 0x18, 0xC4], into: &output)
        #expect(String(decoding: output, as: UTF8.self) == "prefix:/+MYxA==")
    }

    @Test func everyByteValueRoundTrips() {
        let bytes = (0...255).map { UInt8($0) }
        #expect(Base64.encode(bytes) == Data(bytes).base64EncodedString())
        #expect(Base64.decode(Base64.encode(bytes)) == bytes)
    }

    @Test func decodesKnownVectors() {
        // RFC 4648 §10.
        let vectors = ["": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==", "fooba": "Zm9vYmE="]
        for (plain, encoded) in vectors {
            #expect(Base64.encode(Array(plain.utf8)) == encoded)
            #expect(Base64.decode(encoded) == Array(plain.utf8))
        }
        // A WebSocket key from RFC 6455 §1.3 is 16 bytes.
        #expect(Base64.decode("dGhlIHNhbXBsZSBub25jZQ==")?.count == 16)
    }

    @Test(arguments: [
        "Zg",  // not a multiple of 4
        "Zg=",  // not a multiple of 4
        "Z===",  // too much padding
        "====",  // only padding
        "Zg==Zg==",  // padding before the end
        "Z=g=",  // data after padding
        "Zm9-",  // URL-safe alphabet
        "Zm9_",
        "Zm 9",  // whitespace
        "Zm9v\n",
        "Zm9\u{e9}",  // non-ASCII
        "=Zm9",
    ])
    func rejectsInvalidText(text: String) {
        #expect(Base64.decode(text) == nil)
    }
}
