import Foundation
import WavecastBench

#if canImport(Glibc)
import Glibc
#endif

/// The security section's CURVE keys and listener-token secret, made at its start in the run's work directory with
/// `wavecast keygen` and 32 random bytes: every key and the secret stay in files (mode 0600 for the secret ones),
/// and only file names go on argv.
struct SecurityKeys {
    /// `keys/encoder.key_secret`: the encoder's own certificate.
    let encoderSecret: String
    /// `keys/encoder.key`: what its clients name as `--server-key-file`.
    let encoderPublic: String
    /// `keys/gateway.key_secret`: the gateway's own certificate.
    let gatewaySecret: String
    /// `keys/bench.key_secret`: the feeder's and the bench's bus subscriber's certificate (one key for both).
    let benchSecret: String
    /// `keys/feeders/`: the encoder's allow-list of feeders (`bench.key`).
    let feeders: String
    /// `keys/gateways/`: the encoder's allow-list on the bus (`gateway.key`, `bench.key`).
    let gateways: String
    /// `keys/token-secret`: 64 hex digits (32 random bytes) the gateway checks tokens with.
    let tokenSecret: String
    /// `keys/listener.token`: a token for stream `demo`, valid for 1 h, from `wavecast token`.
    let token: String
    /// The token itself, for the bench's own requests (`/streams?token=`); never put on argv.
    let jwt: String

    /// Makes the keys, the secret and a token in `run`'s work directory.
    ///
    /// - Throws: ``BenchError`` quoting the step that failed.
    init(run: BenchRun) throws(BenchError) {
        let directory = run.path("keys")
        self.feeders = directory + "/feeders"
        self.gateways = directory + "/gateways"
        do {
            for folder in [directory, self.feeders, self.gateways] {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            }
        } catch {
            throw BenchError("cannot make \(directory): \(error)")
        }
        let wavecast = run.binaries + "/wavecast"
        for name in ["encoder", "gateway", "bench"] {
            try run.tool(wavecast, ["keygen", name, "--dir", directory])
        }
        self.encoderSecret = directory + "/encoder.key_secret"
        self.encoderPublic = directory + "/encoder.key"
        self.gatewaySecret = directory + "/gateway.key_secret"
        self.benchSecret = directory + "/bench.key_secret"
        do {
            let manager = FileManager.default
            try manager.copyItem(atPath: directory + "/bench.key", toPath: self.feeders + "/bench.key")
            try manager.copyItem(atPath: directory + "/bench.key", toPath: self.gateways + "/bench.key")
            try manager.copyItem(atPath: directory + "/gateway.key", toPath: self.gateways + "/gateway.key")
        } catch {
            throw BenchError("cannot copy the public certificates into the allow-lists: \(error)")
        }
        self.tokenSecret = directory + "/token-secret"
        var generator = SystemRandomNumberGenerator()
        let secret = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let hex = secret.map { String($0, radix: 16) }.map { $0.count == 1 ? "0" + $0 : $0 }.joined()
        try Self.writeSecret(self.tokenSecret, hex + "\n")
        self.token = directory + "/listener.token"
        let signed = try run.tool(
            wavecast,
            [
                "token", "--stream", "demo", "--ttl", "1h", "--subject", "wavecast-bench", "--secret-file",
                self.tokenSecret,
            ]
        )
        guard let jwt = signed.split(whereSeparator: \.isWhitespace).last, jwt.split(separator: ".").count == 3 else {
            throw BenchError("wavecast token printed no token: \(signed.suffix(300))")
        }
        self.jwt = String(jwt)
        try Self.writeSecret(self.token, self.jwt + "\n")
    }

    /// The encoder's options for CURVE on its ingest and its bus.
    var encoderOptions: [String] {
        ["--curve-key-file", self.encoderSecret, "--feeder-keys", self.feeders, "--gateway-keys", self.gateways]
    }

    /// The gateway's options for a CURVE bus.
    var gatewayOptions: [String] { ["--curve-key-file", self.gatewaySecret, "--server-key-file", self.encoderPublic] }

    /// A client's options (`wavecast feed`, `wavecast-bench streams`) for an encoder with CURVE.
    var clientOptions: [String] { ["--curve-key-file", self.benchSecret, "--server-key-file", self.encoderPublic] }

    /// The gateway's catalogue path for `tokens`: with tokens on it lists only the streams the token grants.
    func catalogue(tokens: Bool) -> String { tokens ? "/streams?token=" + self.jwt : "/streams" }

    /// The gateway's options for listener tokens.
    var tokenOptions: [String] { ["--token-secret-file", self.tokenSecret] }

    /// Writes `text` to `path`, readable by its owner only.
    private static func writeSecret(_ path: String, _ text: String) throws(BenchError) {
        try SystemIO.writeFile(path, Array(text.utf8))
        guard chmod(path, 0o600) == 0 else {
            throw BenchError("cannot make \(path) private: \(String(cString: strerror(errno)))")
        }
    }
}
