import Foundation
import Testing
import WavecastCore
import WavecastTestSupport

@testable import WavecastTokens

/// Listener tokens: what is signed verifies, here and in PyJWT (and what PyJWT signs verifies here), and every way
/// a token can be wrong is told apart.
struct TokenSignerTests {
    static let secret = Array("0123456789abcdef0123456789abcdef".utf8)
    static let now: Int64 = 1_800_000_000

    static func signer() throws -> TokenSigner { try TokenSigner(secret: Self.secret) }

    /// A JWT of `header` and `claims` JSON, signed with the test secret by the HMAC directly (whose own results
    /// ``HMACSHA256Tests`` check against RFC 4231), so that claims `TokenSigner` would never write can be signed.
    static func token(header: String, claims: String) throws -> String {
        let input = Self.base64URL(header) + "." + Self.base64URL(claims)
        let code = HMACSHA256.authenticationCode(for: Array(input.utf8), key: Self.secret)
        return input + "." + Self.base64URL(code)
    }

    static func base64URL(_ text: String) -> String { Self.base64URL(Array(text.utf8)) }

    static func base64URL(_ bytes: [UInt8]) -> String {
        String(Base64.encode(bytes).map { $0 == "+" ? "-" : $0 == "/" ? "_" : $0 }.filter { $0 != "=" })
    }

    /// The claims a real clock accepts: PyJWT checks `exp` against it, so the fixed ``now`` will not do.
    static var realNow: Int64 { Int64(Date().timeIntervalSince1970) }

    @Test func aTokenFromAnotherJWTLibraryVerifies() throws {
        // PyJWT (PyPI) signs the claims: the format is plain RFC 7519, not our own.
        let now = Self.realNow
        let token = try PyJWT.encode(
            claims: #"{"streams":["demo","call-*"],"exp":\#(now + 600),"nbf":\#(now - 5),"sub":"a PyJWT client"}"#,
            secret: Self.secret
        )
        #expect(
            try Self.signer().verify(token, now: now)
                == ListenerToken(
                    streams: ["demo", "call-*"],
                    expires: now + 600,
                    notBefore: now - 5,
                    subject: "a PyJWT client"
                )
        )
        // Signed by PyJWT with another secret, or already expired: refused as ours would be.
        let forged = try PyJWT.encode(
            claims: #"{"streams":["demo"],"exp":\#(now + 600)}"#,
            secret: Array("another secret of at least 32 bytes!".utf8)
        )
        #expect(throws: TokenError.badSignature) { try Self.signer().verify(forged, now: now) }
        let expired = try PyJWT.encode(claims: #"{"streams":["demo"],"exp":\#(now - 1)}"#, secret: Self.secret)
        #expect(throws: TokenError.expired(at: now - 1)) { try Self.signer().verify(expired, now: now) }
    }

    @Test func anotherJWTLibraryVerifiesOurTokens() throws {
        let now = Self.realNow
        let token = try Self.signer().sign(
            ListenerToken(streams: ["demo", "call-*"], expires: now + 600, notBefore: now - 5, subject: "bot 7")
        )
        guard case .accepted(let claims) = try PyJWT.decode(token, secret: Self.secret) else {
            Issue.record("PyJWT refused our token: \(try PyJWT.decode(token, secret: Self.secret))")
            return
        }
        #expect(claims["streams"] as? [String] == ["demo", "call-*"])
        #expect((claims["exp"] as? NSNumber)?.int64Value == now + 600)
        #expect((claims["nbf"] as? NSNumber)?.int64Value == now - 5)
        #expect(claims["sub"] as? String == "bot 7")
        // PyJWT checks the signature and the expiry too: another secret, or a token past its exp, is refused.
        guard case .refused(let wrongSecret) = try PyJWT.decode(token, secret: Array(repeating: 1, count: 32)) else {
            Issue.record("PyJWT accepted our token under another secret")
            return
        }
        #expect(wrongSecret == "InvalidSignatureError")
        let expired = try Self.signer().sign(ListenerToken(streams: ["demo"], expires: now - 1))
        guard case .refused(let late) = try PyJWT.decode(expired, secret: Self.secret) else {
            Issue.record("PyJWT accepted an expired token of ours")
            return
        }
        #expect(late == "ExpiredSignatureError")
    }

    @Test func aTokenSignedByHandFromTheRFCVerifies() throws {
        // Signed outside this code base, with Python's standard library over the base64url parts (RFC 7519 §3.1):
        //   header, claims = b64url('{"typ":"JWT","alg":"HS256"}'), b64url('{"streams":["demo"],"exp":1800000060}')
        //   hmac.new(secret, header + "." + claims, hashlib.sha256)
        let token =
            "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJzdHJlYW1zIjpbImRlbW8iXSwiZXhwIjoxODAwMDAwMDYwfQ"
            + ".ZkW9LgoN52QxmaCjAguNZakrYisw_iky36_-dpwhiHE"
        #expect(try Self.signer().verify(token, now: Self.now).streams == ["demo"])
    }

    @Test func aSignedTokenVerifiesAndGrantsItsStreams() throws {
        let signer = try Self.signer()
        let token = ListenerToken(streams: ["demo", "call-*"], expires: Self.now + 60, subject: "bot 7")
        let verified = try signer.verify(signer.sign(token), now: Self.now)
        #expect(verified == token)
        #expect(verified.grants("demo") && verified.grants("call-42") && verified.grants("call-"))
        #expect(!verified.grants("demo2") && !verified.grants("other"))
        #expect(ListenerToken(streams: ["*"], expires: 0).grants("anything"))
    }

    @Test func aShortSecretIsRefused() {
        #expect(throws: TokenError.weakSecret(5)) { try TokenSigner(secret: Array("short".utf8)) }
        #expect(throws: TokenError.weakSecret(3)) { try TokenSigner(secretText: "  abc\n") }
    }

    @Test func theTimeClaimsAreChecked() throws {
        let signer = try Self.signer()
        let expired = signer.sign(ListenerToken(streams: ["demo"], expires: Self.now))
        #expect(throws: TokenError.expired(at: Self.now)) { try signer.verify(expired, now: Self.now) }
        let early = signer.sign(ListenerToken(streams: ["demo"], expires: Self.now + 600, notBefore: Self.now + 60))
        #expect(throws: TokenError.notYetValid(until: Self.now + 60)) { try signer.verify(early, now: Self.now) }
        #expect(try signer.verify(early, now: Self.now + 60).streams == ["demo"])
    }

    @Test func anotherSecretsSignatureOrAChangedClaimIsRefused() throws {
        let signer = try Self.signer()
        let other = try TokenSigner(secret: Array("another secret of at least 32 bytes!".utf8))
        let token = other.sign(ListenerToken(streams: ["demo"], expires: Self.now + 60))
        #expect(throws: TokenError.badSignature) { try signer.verify(token, now: Self.now) }
        // The same signature over claims granting more.
        let parts = signer.sign(ListenerToken(streams: ["demo"], expires: Self.now + 60)).split(separator: ".")
        let widened = Self.base64URL(#"{"streams":["*"],"exp":1800000060}"#)
        #expect(throws: TokenError.badSignature) {
            try signer.verify("\(parts[0]).\(widened).\(parts[2])", now: Self.now)
        }
    }

    @Test func onlyHS256IsAccepted() throws {
        let signer = try Self.signer()
        let claims = #"{"streams":["demo"],"exp":1800000060}"#
        // alg none, with and without a signature part.
        let none = Self.base64URL(#"{"alg":"none","typ":"JWT"}"#) + "." + Self.base64URL(claims) + "."
        #expect(throws: TokenError.unsupportedAlgorithm("none")) { try signer.verify(none, now: Self.now) }
        let rs256 = try Self.token(header: #"{"alg":"RS256"}"#, claims: claims)
        #expect(throws: TokenError.unsupportedAlgorithm("RS256")) { try signer.verify(rs256, now: Self.now) }
    }

    @Test(arguments: [
        ("", "three parts"),
        ("a.b", "three parts"),
        ("a.b.c.d", "three parts"),
        ("!!!.e30.AAAA", "header is not base64url JSON"),
        ("e30.e30.AAAA", "no 'alg'"),
    ])
    func aMalformedTokenSaysWhatIsWrong(text: String, expected: String) throws {
        #expect {
            try Self.signer().verify(text, now: Self.now)
        } throws: { "\($0)".contains(expected) }
    }

    @Test(arguments: [
        (#"{"streams":["demo"]}"#, "no 'exp' claim"),
        (#"{"streams":["demo"],"exp":1e300}"#, "no 'exp' claim"),
        (#"{"streams":["demo"],"exp":-1e30}"#, "no 'exp' claim"),
        (#"{"streams":["demo"],"exp":"tomorrow"}"#, "no 'exp' claim"),
        (#"{"exp":1800000060,"streams":["demo"],"nbf":1e300}"#, "'nbf' claim is not a number"),
        (#"{"exp":1800000060}"#, "no 'streams'"),
        (#"{"exp":1800000060,"streams":[]}"#, "no 'streams'"),
        (#"{"exp":1800000060,"streams":[7]}"#, "only non-empty strings"),
        (#"{"exp":1800000060,"streams":["demo"],"nbf":"soon"}"#, "'nbf' claim is not a number"),
        ("not json", "claims are not base64url JSON"),
    ])
    func missingOrWrongClaimsAreRefused(claims: String, expected: String) throws {
        let token = try Self.token(header: #"{"alg":"HS256","typ":"JWT"}"#, claims: claims)
        #expect {
            try Self.signer().verify(token, now: Self.now)
        } throws: { "\($0)".contains(expected) }
    }
}
