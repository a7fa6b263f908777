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
    }

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
