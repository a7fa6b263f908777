import ArgumentParser
import WavecastCore
import ZeroMQ

/// The options that put a CURVE key on a connection to an encoder (its ingest or its bus).
///
/// Keys come from certificate files, never from argv, which every user of the machine can read.
struct CurveOptions: ParsableArguments {
    @Option(
        name: .customLong("curve-key-file"),
        help:
            "This client's secret CURVE certificate (NAME.key_secret from `wavecast keygen`); or WAVECAST_CURVE_KEY_FILE."
    )
    var curveKeyFile = EnvironmentDefaults().value("curve-key-file")

    @Option(
        name: .customLong("server-key-file"),
        help: "The encoder's public certificate (its NAME.key); or WAVECAST_SERVER_KEY_FILE."
    )
    var serverKeyFile = EnvironmentDefaults().value("server-key-file")

    func validate() throws {
        guard (self.curveKeyFile == nil) == (self.serverKeyFile == nil) else {
            throw ValidationError(
                "CURVE needs both --curve-key-file (yours, secret) and --server-key-file (the encoder's, public)"
            )
        }
    }

    /// Makes `socket` a CURVE client when the options name keys; before it connects.
    ///
    /// - Throws: ``CLIError`` when a certificate cannot be used.
    func apply(to socket: ZMQSocket) throws {
        guard let curveKeyFile, let serverKeyFile else { return }
        do {
            let keys = try CurveKeyPair(secretCertificateAt: curveKeyFile)
            let server = try CurveCertificate(contentsOf: serverKeyFile)
            try socket.makeCurveClient(keys: keys, serverPublicKey: server.publicKey)
        } catch let error as CurveKeyError {
            throw CLIError("\(error)")
        }
    }
}
