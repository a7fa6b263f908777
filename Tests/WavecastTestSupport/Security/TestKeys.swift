import WavecastCore
public import ZeroMQ

/// CURVE keys for a test deployment, as certificate files in a scratch directory: the encoder's
/// pair, one feeder and one gateway on its allow-lists, and a stranger on neither.
public struct TestKeys: Sendable {
    /// Where the files are.
    public let directory: ScratchDirectory
    /// The encoder's key pair.
    public let encoder: CurveKeyPair
    /// A feeder on the encoder's `--feeder-keys` list.
    public let feeder: CurveKeyPair
    /// A gateway on the encoder's `--gateway-keys` list.
    public let gateway: CurveKeyPair
    /// A key on no list.
    public let stranger: CurveKeyPair

    /// Makes the keys and writes their certificates.
    public init() throws {
        self.directory = try ScratchDirectory()
        self.encoder = try CurveKeyPair.generate()
        self.feeder = try CurveKeyPair.generate()
        self.gateway = try CurveKeyPair.generate()
        self.stranger = try CurveKeyPair.generate()
        _ = try CurveCertificate.write(self.encoder, name: "encoder", into: self.directory.path("encoder"))
        _ = try CurveCertificate.write(self.feeder, name: "feeder", into: self.directory.path("feeders"))
        _ = try CurveCertificate.write(self.gateway, name: "gateway", into: self.directory.path("gateways"))
        _ = try self.directory.write(
            "token-secret",
            Array(Base64.encode((0..<32).map { _ in UInt8.random(in: 0...255) }).utf8)
        )
    }

    /// The encoder's public certificate, which clients name as the server (`--server-key-file`).
    public var encoderCertificate: String { self.directory.path("encoder/encoder.key") }
    /// The feeder's secret certificate (`--curve-key-file` of `wavecast feed`).
    public var feederSecretCertificate: String { self.directory.path("feeders/feeder.key_secret") }
    /// The gateway's secret certificate (`--curve-key-file` of `wavecast-gateway`).
    public var gatewaySecretCertificate: String { self.directory.path("gateways/gateway.key_secret") }
    /// A file holding a random listener-token secret (`--token-secret-file`).
    public var tokenSecretFile: String { self.directory.path("token-secret") }

    /// `wavecast-encoder` options that turn CURVE on for feeders and the bus.
    public var encoderArguments: [String] {
        [
            "--curve-key-file", self.directory.path("encoder/encoder.key_secret"),
            "--feeder-keys", self.directory.path("feeders"),
            "--gateway-keys", self.directory.path("gateways"),
        ]
    }

    /// What a client holding `keys` needs to reach the encoder.
    public func client(_ keys: CurveKeyPair) -> CurveClientKeys {
        CurveClientKeys(keys: keys, serverPublicKey: self.encoder.publicKey)
    }
}
