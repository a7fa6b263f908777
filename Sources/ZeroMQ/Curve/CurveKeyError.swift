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
