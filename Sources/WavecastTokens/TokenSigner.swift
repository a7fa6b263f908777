import WavecastCore

/// Signs and checks listener tokens: JWTs with HMAC-SHA256 (`alg: HS256`) under one shared secret.
///
/// The HMAC is libsodium's, compared in constant time (`HMACSHA256`); this type only reads and writes the JWT
/// format around it. Only HS256 is accepted, so a token cannot choose a weaker algorithm (`none`).
public struct TokenSigner: Sendable {
    /// The secret's bytes, the HMAC's key.
    private let secret: [UInt8]

    /// A signer for `secret`, at least 32 bytes.
    ///
    /// - Throws: ``TokenError/weakSecret(_:)`` for a shorter secret.
    public init(secret: [UInt8]) throws(TokenError) {
        guard secret.count >= 32 else { throw .weakSecret(secret.count) }
        self.secret = secret
    }

    /// A signer for the secret in a file's text (surrounding whitespace and newlines are not part of it).
    public init(secretText: String) throws(TokenError) {
        let trimmed = secretText.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed()
        try self.init(secret: Array(String(trimmed).utf8))
    }

    /// `token` as a signed JWT.
    public func sign(_ token: ListenerToken) -> String {
        var claims: JSONObject = [
            "streams": .array(token.streams.map { .string($0) }),
            "exp": .number(Double(token.expires)),
        ]
        if let notBefore = token.notBefore { claims["nbf"] = .number(Double(notBefore)) }
        if let subject = token.subject { claims["sub"] = .string(subject) }
        let header = Self.base64URL(JSONValue.object(["alg": "HS256", "typ": "JWT"]).serializedBytes)
        let signingInput = header + "." + Self.base64URL(JSONValue.object(claims).serializedBytes)
        let signature = HMACSHA256.authenticationCode(for: Array(signingInput.utf8), key: self.secret)
        return signingInput + "." + Self.base64URL(signature)
    }

    /// The grant `text` carries, if it is a well-formed HS256 JWT signed with this secret and valid at `now`
    /// (seconds since 1970).
    ///
    /// - Throws: ``TokenError`` saying which check failed: format, algorithm, signature, then time.
    public func verify(_ text: some StringProtocol, now: Int64) throws(TokenError) -> ListenerToken {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            throw .malformed("a JWT has three parts separated by '.', this has \(parts.count)")
        }
        guard let headerBytes = Self.decodeBase64URL(parts[0]),
            case .object(let header)? = try? JSONValue.parse(headerBytes)
        else { throw .malformed("its header is not base64url JSON") }
        guard case .string(let algorithm)? = header["alg"] else { throw .malformed("its header has no 'alg'") }
        guard algorithm == "HS256" else { throw .unsupportedAlgorithm(algorithm) }
        guard let signature = Self.decodeBase64URL(parts[2]) else { throw .malformed("its signature is not base64url") }
        let signingInput = Array(text[..<parts[2].startIndex].dropLast().utf8)
        guard HMACSHA256.isValid(signature, for: signingInput, key: self.secret) else {
            throw .badSignature
        }
        guard let claimBytes = Self.decodeBase64URL(parts[1]),
            case .object(let claims)? = try? JSONValue.parse(claimBytes)
        else { throw .malformed("its claims are not base64url JSON") }
        guard case .number(let expiresNumber)? = claims["exp"], let expires = Self.seconds(expiresNumber) else {
            throw .malformed("it has no 'exp' claim in whole seconds since 1970")
        }
        guard case .array(let entries)? = claims["streams"], !entries.isEmpty else {
            throw .malformed("it has no 'streams' claim (an array of stream ids, or prefixes ending in '*')")
        }
        var streams: [String] = []
        for entry in entries {
            guard case .string(let stream) = entry, !stream.isEmpty else {
                throw .malformed("its 'streams' claim must hold only non-empty strings")
            }
            streams.append(stream)
        }
        var notBefore: Int64?
        if let value = claims["nbf"] {
            guard case .number(let number) = value, let seconds = Self.seconds(number) else {
                throw .malformed("its 'nbf' claim is not a number of seconds since 1970")
            }
            notBefore = seconds
        }
        var subject: String?
        if case .string(let value)? = claims["sub"] { subject = value }
        let token = ListenerToken(streams: streams, expires: expires, notBefore: notBefore, subject: subject)
        guard now < token.expires else { throw .expired(at: token.expires) }
        if let notBefore, now < notBefore { throw .notYetValid(until: notBefore) }
        return token
    }

    /// A JSON number as whole seconds, when it is one a clock can reach (JWT allows fractions; they are
    /// dropped); `nil` for NaN, infinities and values past year 9999, which would overflow `Int64`.
    static func seconds(_ number: Double) -> Int64? {
        guard number.isFinite, abs(number) < 253_402_300_800 else { return nil }
        return Int64(number.rounded(.down))
    }

    // MARK: base64url

    static func base64URL(_ bytes: [UInt8]) -> String {
        var text = ""
        for character in Base64.encode(bytes) {
            switch character {
            case "+": text.append("-")
            case "/": text.append("_")
            case "=": continue
            default: text.append(character)
            }
        }
        return text
    }

    static func decodeBase64URL(_ text: some StringProtocol) -> [UInt8]? {
        guard !text.contains("+"), !text.contains("/"), !text.contains("=") else { return nil }
        var standard = String(text.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
        guard standard.count % 4 != 1 else { return nil }
        standard += String(repeating: "=", count: (4 - standard.count % 4) % 4)
        return Base64.decode(standard)
    }
}
