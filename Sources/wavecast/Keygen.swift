import ArgumentParser
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

/// `wavecast keygen`: makes a CURVE key pair as certificate files.
struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make a CURVE key pair: NAME.key (public) and NAME.key_secret (secret, mode 0600).",
        discussion: """
            The files are in the form czmq and pyzmq use (zmq.auth.load_certificate reads them). Give \
            the encoder its own NAME.key_secret (--curve-key-file); put each feeder's NAME.key in the \
            encoder's --feeder-keys directory and each gateway's in --gateway-keys; a client names the \
            encoder's NAME.key as --server-key-file. --streams and the quotas are written into the \
            public certificate, where the encoder reads them.
            """
    )

    @Argument(help: "The key's name: the files are NAME.key and NAME.key_secret.")
    var name: String

    @Option(help: "Directory to write the files into.")
    var dir = "."

    @Option(help: "Stream ids this key may touch must start with this prefix (a feeder key).")
    var streams: String?

    @Option(help: "Most streams this key may have playing or open at once (a feeder key).")
    var maxStreams: Int?

    @Option(help: "Most requests per second this key may send (a feeder key).")
    var maxRequestsPerSecond: Int?

    @Flag(help: "Replace existing files of the same name.")
    var force = false

    func validate() throws {
        guard !self.name.isEmpty, self.name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }),
            !self.name.hasPrefix(".")
        else {
            throw ValidationError(
                "NAME must be letters, digits, '-', '_' or '.', not starting with '.': '\(self.name)'"
            )
        }
        if self.streams == "" {
            throw ValidationError(
                "--streams must not be empty: give a prefix such as tenant-a., or leave it out for every stream"
            )
        }
        for (option, value) in [
            ("--max-streams", self.maxStreams), ("--max-requests-per-second", self.maxRequestsPerSecond),
        ] {
            if let value, value < 1 { throw ValidationError("\(option) must be at least 1, not \(value)") }
        }
    }

    func run() throws {
        var metadata: [String: String] = [:]
        metadata["streams"] = self.streams
        metadata["max-streams"] = self.maxStreams.map(String.init)
        metadata["max-requests-per-second"] = self.maxRequestsPerSecond.map(String.init)
        do {
            let keys = try CurveKeyPair.generate()
            let paths = try CurveCertificate.write(
                keys,
                name: self.name,
                metadata: metadata,
                into: self.dir,
                replacing: self.force
            )
            print("public key \(keys.publicKey)")
            print("wrote \(paths.publicPath) (public: give it to whoever must recognise this key)")
            print("wrote \(paths.secretPath) (secret: keep it with its owner)")
        } catch {
            throw CLIError("\(error)")
        }
    }
}
