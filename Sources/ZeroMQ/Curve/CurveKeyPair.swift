import CZeroMQ

/// A CURVE key pair, each key in ZeroMQ's Z85 text form (40 characters for 32 bytes).
///
/// The secret key authenticates its holder and must stay private; the public key is what a server
/// puts on its allow-list and what a client names as the server it expects.
public struct CurveKeyPair: Sendable, Hashable {
    /// The public key, Z85.
    public let publicKey: String
    /// The secret key, Z85.
    public let secretKey: String

    /// A pair from a known secret key; the public key is derived from it.
    ///
    /// - Throws: ``CurveKeyError`` when `secretKey` is not 40 Z85 characters.
    public init(secretKey: String) throws(CurveKeyError) {
        guard Z85.decode(secretKey)?.count == 32 else {
            throw CurveKeyError.malformedKey(secretKey.count, what: "secret key")
        }
        var publicKey = [CChar](repeating: 0, count: 41)
        guard zmq_curve_public(&publicKey, secretKey) == 0 else {
            throw CurveKeyError.curveUnavailable
        }
        self.publicKey = String(decoding: publicKey.prefix(40).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        self.secretKey = secretKey
    }

    /// A new random key pair, from libzmq's generator.
    ///
    /// - Throws: ``CurveKeyError/curveUnavailable`` when libzmq was built without CURVE.
    public static func generate() throws(CurveKeyError) -> CurveKeyPair {
        var publicKey = [CChar](repeating: 0, count: 41)
        var secretKey = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&publicKey, &secretKey) == 0 else {
            throw CurveKeyError.curveUnavailable
        }
        let secret = String(decoding: secretKey.prefix(40).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return try CurveKeyPair(secretKey: secret)
    }

    /// Whether this libzmq has the CURVE mechanism (Debian's has).
    public static var isAvailable: Bool { zmq_has("curve") != 0 }
}

/// Why a CURVE key or certificate cannot be used.
public enum CurveKeyError: Error, Hashable, Sendable {
    /// A key is not 40 Z85 characters (32 bytes): its length, and which key.
    case malformedKey(Int, what: String)
    /// This libzmq was built without CURVE.
    case curveUnavailable
    /// A certificate file cannot be read or has no usable key: its path and what is wrong.
    case unreadableCertificate(path: String, reason: String)
}

extension CurveKeyError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .malformedKey(let length, let what):
            return
                "the \(what) is \(length) characters, not a 40-character Z85 CURVE key (make one with `wavecast keygen`)"
        case .curveUnavailable:
            return
                "this libzmq was built without CURVE security (zmq_has(\"curve\") is false); install Debian's libzmq5"
        case .unreadableCertificate(let path, let reason):
            return "cannot use the CURVE certificate \(path): \(reason)"
        }
    }
}
