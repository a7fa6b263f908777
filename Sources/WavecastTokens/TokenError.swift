/// Why a token was not accepted; each says what to do about it.
public enum TokenError: Error, Hashable, Sendable {
    /// Not three base64url parts of JSON with the claims needed: what is wrong.
    case malformed(String)
    /// The header names an algorithm other than HS256 (`none` included).
    case unsupportedAlgorithm(String)
    /// The signature is not the secret's.
    case badSignature
    /// `exp` has passed: when.
    case expired(at: Int64)
    /// `nbf` has not come yet: when it does.
    case notYetValid(until: Int64)
    /// The signing secret is too short: its length in bytes.
    case weakSecret(Int)
}

extension TokenError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .malformed(let what):
            return "malformed token: \(what)"
        case .unsupportedAlgorithm(let algorithm):
            return "the token's algorithm is '\(algorithm)'; only HS256 tokens are accepted"
        case .badSignature:
            return "the token's signature does not match this gateway's secret"
        case .expired(let at):
            return "the token expired at \(at) (seconds since 1970); get a new one"
        case .notYetValid(let until):
            return "the token is not valid before \(until) (seconds since 1970)"
        case .weakSecret(let length):
            return
                "the token secret is \(length) bytes; it must be at least 32 (e.g. `head -c 32 /dev/urandom | base64`)"
        }
    }
}
