public import Logging
import NIOConcurrencyHelpers
import WavecastCore
public import ZeroMQ

/// The encoder's CURVE keys and allow-lists: its own key pair, the feeder keys allowed on the ingest
/// socket and the gateway keys allowed on the bus, each a directory of public certificates
/// (`NAME.key`, as `wavecast keygen` and pyzmq's `zmq.auth.create_certificates` write them).
///
/// The ZAP handler asks ``decide(_:)`` at each handshake; the reactor asks ``access(forUserID:)``
/// at each request, so a key removed by ``reload()`` (on SIGHUP) is refused from its next request
/// on, not only at its next connection.
public final class EncoderKeyring: Sendable {
    /// The ZAP domain of the ingest socket.
    static let ingestDomain = "wavecast-ingest"
    /// The ZAP domain of the bus socket.
    static let busDomain = "wavecast-bus"

    private struct AllowLists: Sendable {
        var feeders: [String: FeederGrant] = [:]
        var gateways: [String: String] = [:]
        var refusals = CurveRefusalLog()
    }

    /// The encoder's own key pair (its public key is what feeders and gateways name as the server).
    public let keys: CurveKeyPair
    /// The directory of allowed feeder certificates.
    public let feederDirectory: String
    /// The directory of allowed gateway certificates; `nil` leaves the bus without CURVE.
    public let gatewayDirectory: String?
    private let allowLists = NIOLockedValueBox(AllowLists())
    private let logger: Logger

    /// Loads the allow-lists.
    ///
    /// - Throws: ``CurveKeyError`` when a directory or a certificate in it cannot be used.
    public init(
        keys: CurveKeyPair,
        feederDirectory: String,
        gatewayDirectory: String?,
        logger: Logger
    ) throws(CurveKeyError) {
        self.keys = keys
        self.feederDirectory = feederDirectory
        self.gatewayDirectory = gatewayDirectory
        self.logger = logger
        _ = try self.reload()
    }

    /// Reads both directories again; on any error the lists in force stay as they were.
    ///
    /// - Returns: How many feeder and gateway keys are allowed now.
    @discardableResult
    public func reload() throws(CurveKeyError) -> (feeders: Int, gateways: Int) {
        var lists = AllowLists()
        for (publicKey, entry) in try CurveCertificate.loadDirectory(self.feederDirectory) {
            lists.feeders[publicKey] = try FeederGrant(
                name: entry.name,
                certificate: entry.certificate,
                path: self.feederDirectory + "/" + entry.name + ".key"
            )
        }
        if let gatewayDirectory {
            for (publicKey, entry) in try CurveCertificate.loadDirectory(gatewayDirectory) {
                lists.gateways[publicKey] = entry.name
            }
        }
        let counts = (lists.feeders.count, lists.gateways.count)
        self.allowLists.withLockedValue { current in
            lists.refusals = current.refusals
            current = lists
        }
        return counts
    }

    /// The ZAP handler's answer for a handshake on the ingest or bus socket; refusals are counted in `failures`.
    func decide(_ request: ZAPHandler.Request, failures: EncoderMetrics) -> ZAPHandler.Decision {
        let socket = request.domain == Self.busDomain ? "bus" : "ingest"
        guard request.mechanism == "CURVE", let publicKey = request.publicKey else {
            failures.countAuthFailure(socket: socket)
            return .deny(reason: "CURVE required")
        }
        guard request.domain == Self.busDomain || request.domain == Self.ingestDomain else {
            return .deny(reason: "unknown ZAP domain")
        }
        let now = Int64(MonotonicTime.now().nanoseconds / 1_000_000_000)
        let (name, shouldLog): (String?, Bool) = self.allowLists.withLockedValue { lists in
            let name = request.domain == Self.busDomain ? lists.gateways[publicKey] : lists.feeders[publicKey]?.name
            guard name == nil else { return (name, false) }
            return (nil, lists.refusals.shouldLog(publicKey, nowSeconds: now))
        }
        guard let name else {
            failures.countAuthFailure(socket: socket)
            if shouldLog {
                self.logger.warning(
                    "Refused an unknown CURVE key (logged once a minute per key; every refusal is counted)",
                    metadata: ["socket": "\(socket)", "peer": "\(request.address)", "key": "\(publicKey)"]
                )
            }
            return .deny(reason: "unknown key")
        }
        self.logger.debug("Let a key in", metadata: ["socket": "\(socket)", "key.name": "\(name)"])
        return .allow(userID: publicKey)
    }

    /// What the feeder behind `userID` (its public key, from the ZAP handler) may do now.
    func access(forUserID userID: String?) -> FeederAccess {
        guard let userID else { return .revoked }
        return self.allowLists.withLockedValue { $0.feeders[userID] }.map(FeederAccess.granted) ?? .revoked
    }
}
