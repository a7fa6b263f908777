import Logging
import NIOConcurrencyHelpers
import WavecastCore
import ZeroMQ

/// The bus proxy's CURVE key pair and who may connect to each of its sides: encoders to the frontend, gateways
/// to the backend, each a directory of public certificates (`NAME.key`, from `wavecast keygen`).
///
/// Both sides are CURVE *servers* with the proxy's one key pair, as the encoder's ingest and bus are with its
/// own: gateways name the proxy's public certificate as `--server-key-file`, encoders as `--proxy-key-file`.
/// The ZAP handler asks ``decide(_:)`` at each handshake; ``reload()`` (SIGHUP) re-reads both directories.
/// A key taken off a list is refused from its next connection on; a connection already made stays (the
/// proxy reads no identity per message, unlike the encoder's ingest).
final class ProxyKeyring: Sendable {
    /// The ZAP domain of the frontend (encoders).
    static let frontendDomain = "wavecast-proxy-encoders"
    /// The ZAP domain of the backend (gateways).
    static let backendDomain = "wavecast-proxy-gateways"

    /// The proxy's own key pair.
    let keys: CurveKeyPair
    /// The encoders allowed on the frontend; `nil` leaves the frontend without CURVE.
    let encoders: CurveAllowList?
    /// The gateways allowed on the backend; `nil` leaves the backend without CURVE.
    let gateways: CurveAllowList?
    private let logger: Logger
    private let refusals = NIOLockedValueBox(CurveRefusalLog())

    /// Loads the allow-lists.
    ///
    /// - Throws: ``CurveKeyError`` when a directory or a certificate in it cannot be used.
    init(
        keys: CurveKeyPair,
        encoderDirectory: String?,
        gatewayDirectory: String?,
        logger: Logger
    ) throws(CurveKeyError) {
        self.keys = keys
        self.encoders = try encoderDirectory.map { (directory) throws(CurveKeyError) in
            try CurveAllowList(directory: directory)
        }
        self.gateways = try gatewayDirectory.map { (directory) throws(CurveKeyError) in
            try CurveAllowList(directory: directory)
        }
        self.logger = logger
    }

    /// Reads both directories again; a list whose directory fails to load keeps its keys.
    ///
    /// - Returns: How many encoder and gateway keys are allowed now.
    /// - Throws: ``CurveKeyError`` for the first list that failed (the other is still reloaded).
    @discardableResult
    func reload() throws(CurveKeyError) -> (encoders: Int, gateways: Int) {
        var failure: CurveKeyError?
        for list in [self.encoders, self.gateways].compactMap({ $0 }) {
            do {
                try list.reload()
            } catch {
                failure = failure ?? error
            }
        }
        if let failure { throw failure }
        return (self.encoders?.count ?? 0, self.gateways?.count ?? 0)
    }

    /// The ZAP handler's answer for a handshake on either side.
    func decide(_ request: ZAPHandler.Request) -> ZAPHandler.Decision {
        let side: String
        let list: CurveAllowList?
        switch request.domain {
        case Self.frontendDomain:
            (side, list) = ("frontend", self.encoders)
        case Self.backendDomain:
            (side, list) = ("backend", self.gateways)
        default:
            return .deny(reason: "unknown ZAP domain")
        }
        guard request.mechanism == "CURVE", let publicKey = request.publicKey else {
            return .deny(reason: "CURVE required")
        }
        guard let name = list?.name(of: publicKey) else {
            if self.shouldLogRefusal(of: publicKey) {
                self.logger.warning(
                    "Refused an unknown CURVE key (logged once a minute per key)",
                    metadata: ["side": "\(side)", "peer": "\(request.address)", "key": "\(publicKey)"]
                )
            }
            return .deny(reason: "unknown key")
        }
        self.logger.debug("Let a key in", metadata: ["side": "\(side)", "key.name": "\(name)"])
        return .allow(userID: publicKey)
    }

    private func shouldLogRefusal(of publicKey: String) -> Bool {
        let now = Int64(MonotonicTime.now().nanoseconds / 1_000_000_000)
        return self.refusals.withLockedValue { $0.shouldLog(publicKey, nowSeconds: now) }
    }
}
