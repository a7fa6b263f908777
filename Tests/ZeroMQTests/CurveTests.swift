import Foundation
import Testing
import ZeroMQ

/// CURVE keys, Z85 and certificate files, without sockets.
struct CurveTests {
    @Test func z85RoundTripsAndRejectsWhatIsNotZ85() throws {
        // RFC 32's test vector.
        let bytes: [UInt8] = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B]
        #expect(Z85.encode(bytes) == "HelloWorld")
        #expect(Z85.decode("HelloWorld") == bytes)
        #expect(Z85.encode([1, 2, 3]) == nil, "not a multiple of 4 bytes")
        #expect(Z85.decode("Hello") != nil)
        #expect(Z85.decode("Hell") == nil, "not a multiple of 5 characters")
        #expect(Z85.decode("Hello World") == nil)
        #expect(Z85.decode("Hello\"orld") == nil, "a quote is not in the alphabet")
    }

    @Test func aGeneratedPairDerivesItsPublicKeyAgain() throws {
        let pair = try CurveKeyPair.generate()
        #expect(pair.publicKey.count == 40 && pair.secretKey.count == 40)
        #expect(try CurveKeyPair(secretKey: pair.secretKey) == pair)
        #expect(throws: CurveKeyError.malformedKey(5, what: "secret key")) { try CurveKeyPair(secretKey: "short") }
    }

    @Test func aCertificateRoundTripsWithItsMetadata() throws {
        let pair = try CurveKeyPair.generate()
        let secret = CurveCertificate(keys: pair, includingSecret: true, metadata: ["streams": "tenant-a/"])
        let parsed = try CurveCertificate(parsing: secret.text, path: "x.key_secret")
        #expect(parsed == secret)
        #expect(try parsed.keyPair() == pair)
        let publicOnly = try CurveCertificate(
            parsing: CurveCertificate(keys: pair, includingSecret: false).text,
            path: "x.key"
        )
        #expect(publicOnly.secretKey == nil && publicOnly.publicKey == pair.publicKey)
        #expect(try publicOnly.keyPair() == nil)
    }

    @Test func pyzmqsCertificateTextIsRead() throws {
        // As zmq.auth.create_certificates writes it: a banner, metadata values unquoted, keys quoted.
        let pair = try CurveKeyPair.generate()
        let text = """
            #   ****  Generated on 2026-12-06 21:00:00 by pyzmq  ****
            #   ZeroMQ CURVE **Secret** Certificate
            #   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.

            metadata
                streams = tenant-b/
            curve
                public-key = "\(pair.publicKey)"
                secret-key = "\(pair.secretKey)"

            """
        let certificate = try CurveCertificate(parsing: text, path: "pyzmq.key_secret")
        #expect(certificate.metadata == ["streams": "tenant-b/"])
        #expect(try certificate.keyPair() == pair)
    }

    @Test(arguments: [
        ("metadata\ncurve\n", "no `public-key`"),
        ("curve\n    public-key = \"tooShort\"\n", "not a 40-character Z85 key"),
        ("curve\n    public-key\n", "line 2 is not"),
    ])
    func aBrokenCertificateSaysWhatIsWrong(text: String, reason: String) {
        #expect {
            try CurveCertificate(parsing: text, path: "broken.key")
        } throws: { error in
            "\(error)".contains(reason) && "\(error)".contains("broken.key")
        }
    }

    @Test func aSecretKeyThatDoesNotMatchItsPublicKeyIsRefused() throws {
        let one = try CurveKeyPair.generate()
        let other = try CurveKeyPair.generate()
        let text = "curve\n    public-key = \"\(one.publicKey)\"\n    secret-key = \"\(other.secretKey)\"\n"
        #expect {
            try CurveCertificate(parsing: text, path: "mixed.key_secret")
        } throws: { "\($0)".contains("does not belong") }
    }

    @Test func aDirectoryIsReadByPublicKeyAndTheSecretFileIsPrivate() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("curve-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pair = try CurveKeyPair.generate()
        let paths = try CurveCertificate.write(pair, name: "feeder", metadata: ["max-streams": "3"], into: directory)
        let mode = try FileManager.default.attributesOfItem(atPath: paths.secretPath)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let listed = try CurveCertificate.loadDirectory(directory)
        #expect(listed.count == 1, "only *.key files are read, not *.key_secret")
        #expect(listed[pair.publicKey]?.name == "feeder")
        #expect(listed[pair.publicKey]?.certificate.metadata["max-streams"] == "3")
        // An existing key is kept unless replacing is asked for.
        let other = try CurveKeyPair.generate()
        #expect {
            try CurveCertificate.write(other, name: "feeder", into: directory)
        } throws: { "\($0)".contains("already exists") }
        _ = try CurveCertificate.write(other, name: "feeder", into: directory, replacing: true)
        #expect(try CurveCertificate(contentsOf: paths.secretPath).keyPair() == other)
        let replacedMode = try FileManager.default.attributesOfItem(atPath: paths.secretPath)[.posixPermissions] as? Int
        #expect(replacedMode == 0o600)
    }
}
