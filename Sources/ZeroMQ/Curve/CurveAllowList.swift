import NIOConcurrencyHelpers

/// The CURVE keys allowed in through one door: a directory of public certificates (`NAME.key`, as
/// `wavecast keygen` and pyzmq's `zmq.auth.create_certificates` write them), read again on ``reload()``.
///
/// A ``ZAPHandler`` asks ``name(of:)`` at each handshake, on its own thread, while ``reload()`` may run on
/// another (a SIGHUP handler): the keys are behind a lock, and a reload that fails keeps the keys in force.
public final class CurveAllowList: Sendable {
    /// The directory the keys are read from.
    public let directory: String
    /// Public key (Z85) → the certificate's name.
    private let keys = NIOLockedValueBox<[String: String]>([:])

    /// Reads the directory.
    ///
    /// - Throws: ``CurveKeyError`` when the directory or a certificate in it cannot be used.
    public init(directory: String) throws(CurveKeyError) {
        self.directory = directory
        try self.reload()
    }

    /// Reads the directory again; on any error the keys in force stay as they were.
    ///
    /// - Returns: How many keys are allowed now.
    @discardableResult
    public func reload() throws(CurveKeyError) -> Int {
        let loaded = try CurveCertificate.loadDirectory(self.directory).mapValues(\.name)
        self.keys.withLockedValue { $0 = loaded }
        return loaded.count
    }

    /// The name of the certificate that allows `publicKey`, or `nil` when it is not allowed.
    public func name(of publicKey: String) -> String? {
        self.keys.withLockedValue { $0[publicKey] }
    }

    /// How many keys are allowed.
    public var count: Int {
        self.keys.withLockedValue { $0.count }
    }
}
