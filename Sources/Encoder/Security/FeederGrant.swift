import ZeroMQ

/// What one feeder key may do: its name (the certificate's file name), the prefix every stream id it
/// touches must start with, and its quotas. Read from the key's public certificate's metadata:
///
/// ```
/// metadata
///     streams = "tenant-a/"
///     max-streams = "50"
///     max-requests-per-second = "2000"
/// ```
public struct FeederGrant: Sendable, Hashable {
    /// The key's name: its certificate's file name without `.key`.
    public var name: String
    /// Stream ids this key may play, feed, stop or ask about must start with this; `nil`: any.
    public var streamPrefix: String?
    /// Most streams this key may have playing or open at once; `nil`: only the encoder's own limit.
    public var maxStreams: Int?
    /// Most requests per second this key may send (a burst of one second's worth is allowed); `nil`: no cap.
    public var maxRequestsPerSecond: Int?

    /// A grant with no limits beyond the encoder's own.
    public init(name: String, streamPrefix: String? = nil, maxStreams: Int? = nil, maxRequestsPerSecond: Int? = nil) {
        self.name = name
        self.streamPrefix = streamPrefix
        self.maxStreams = maxStreams
        self.maxRequestsPerSecond = maxRequestsPerSecond
    }

    /// The grant a certificate's metadata describes.
    ///
    /// - Throws: ``CurveKeyError/unreadableCertificate(path:reason:)`` when a quota is not a positive whole number.
    init(name: String, certificate: CurveCertificate, path: String) throws(CurveKeyError) {
        self.name = name
        let prefix = certificate.metadata["streams"]
        guard prefix != "" else {
            // An empty prefix would silently mean "every stream": say so instead.
            throw .unreadableCertificate(
                path: path,
                reason:
                    "its metadata streams is empty; give a prefix such as \"tenant-a.\", or remove the line for every stream"
            )
        }
        self.streamPrefix = prefix
        self.maxStreams = try Self.quota("max-streams", in: certificate, path: path)
        self.maxRequestsPerSecond = try Self.quota("max-requests-per-second", in: certificate, path: path)
    }

    /// Whether this key may touch `stream`.
    public func allows(_ stream: String) -> Bool {
        guard let streamPrefix else { return true }
        return stream.hasPrefix(streamPrefix)
    }

    private static func quota(
        _ name: String,
        in certificate: CurveCertificate,
        path: String
    ) throws(CurveKeyError) -> Int? {
        guard let text = certificate.metadata[name] else { return nil }
        guard let value = Int(text), value > 0 else {
            throw .unreadableCertificate(
                path: path,
                reason: "its metadata \(name) is \"\(text)\", not a whole number above 0"
            )
        }
        return value
    }
}
