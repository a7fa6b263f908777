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

    /// The key pair in the secret certificate at `path` (`NAME.key_secret`).
    ///
    /// - Throws: ``CurveKeyError/unreadableCertificate(path:reason:)`` when it cannot be read, or is a
    ///   public certificate.
    public init(secretCertificateAt path: String) throws(CurveKeyError) {
        guard let keys = try CurveCertificate(contentsOf: path).keyPair() else {
            throw .unreadableCertificate(
                path: path,
                reason: "it is a public certificate; give the NAME.key_secret file"
            )
        }
        self = keys
    }

    /// Whether this libzmq has the CURVE mechanism (Debian's has).
    public static var isAvailable: Bool { zmq_has("curve") != 0 }
}
