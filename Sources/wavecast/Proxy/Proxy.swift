import ArgumentParser
import Dispatch
import Logging
import WavecastCore
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

/// Option defaults from `WAVECAST_*` variables: the proxy runs as a service, configured like the others.
private let environment = EnvironmentDefaults()

/// `wavecast proxy`: the bus's rendezvous point for a large fleet, an XSUB/XPUB proxy that encoders publish to and
/// gateways subscribe from (the zguide's "dynamic discovery" answer once there are more than a handful of
/// publishers: every node knows one stable address instead of every gateway knowing every encoder).
///
/// Off by default: the bus works without it, every gateway connected to every encoder (docs/ARCHITECTURE.md,
/// "The bus proxy", says when it pays and what it costs).
struct Proxy: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Relay the bus between many encoders and many gateways through one address (XSUB/XPUB proxy).",
        discussion: """
            Encoders publish to --frontend (wavecast-encoder --bus-connect tcp://PROXY:5557, with or \
            without their own --publish); gateways subscribe to --backend (wavecast-gateway --bus \
            tcp://PROXY:5558). Every gateway's subscription reaches every encoder, so a gateway's first \
            listener of a stream still starts from the encoder's replay, and mark reports travel back up. \
            With --curve-key-file both sides are CURVE servers with the proxy's key: --gateway-keys and \
            --encoder-keys list who may connect (re-read on SIGHUP). SIGINT or SIGTERM stops it. Every \
            option can also be set as WAVECAST_<OPTION> (e.g. WAVECAST_FRONTEND); a flag wins.
            """
    )

    @Option(help: "ZeroMQ endpoint encoders connect to (XSUB; their --bus-connect).")
    var frontend = environment.string("frontend", "tcp://*:5557")

    @Option(help: "ZeroMQ endpoint gateways connect to (XPUB; their --bus).")
    var backend = environment.string("backend", "tcp://*:5558")

    @Option(
        name: .customLong("curve-key-file"),
        help:
            "The proxy's secret CURVE certificate (NAME.key_secret from `wavecast keygen`): turns on CURVE with --gateway-keys and --encoder-keys."
    )
    var curveKeyFile = environment.value("curve-key-file")

    @Option(
        name: .customLong("gateway-keys"),
        help:
            "Directory of the gateways' public certificates (*.key) allowed on --backend; gateways name the proxy's NAME.key as --server-key-file."
    )
    var gatewayKeys = environment.value("gateway-keys")

    @Option(
        name: .customLong("encoder-keys"),
        help:
            "Directory of the encoders' public certificates (*.key) allowed on --frontend; encoders name the proxy's NAME.key as --proxy-key-file."
    )
    var encoderKeys = environment.value("encoder-keys")

    @Option(help: "Log level: trace, debug, info, notice, warning, error or critical.")
    var logLevel = environment.string("log-level", "info")

    func validate() throws {
        for (option, endpoint) in [("--frontend", self.frontend), ("--backend", self.backend)]
        where !endpoint.contains("://") {
            throw ValidationError("\(option) must be a ZeroMQ endpoint such as tcp://*:5557, not '\(endpoint)'")
        }
        if (self.gatewayKeys != nil || self.encoderKeys != nil) && self.curveKeyFile == nil {
            throw ValidationError(
                "--gateway-keys and --encoder-keys need --curve-key-file, the proxy's own secret certificate"
            )
        }
        if self.curveKeyFile != nil && self.gatewayKeys == nil && self.encoderKeys == nil {
            throw ValidationError(
                "--curve-key-file needs --gateway-keys or --encoder-keys (or both): who may connect to each side"
            )
        }
        guard Logger.Level(rawValue: self.logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
    }

    /// Whether a ZeroMQ endpoint is reachable from this host only.
    static func isLoopback(_ endpoint: String) -> Bool {
        endpoint.hasPrefix("ipc://") || endpoint.hasPrefix("inproc://") || endpoint.hasPrefix("tcp://127.")
            || endpoint.hasPrefix("tcp://localhost:") || endpoint.hasPrefix("tcp://[::1]:")
    }

    func run() throws {
        var logger = Logger(label: "wavecast.proxy")
        logger.logLevel = Logger.Level(rawValue: self.logLevel) ?? .info
        let keyring = try self.makeKeyring(logger: logger)
        self.warnAboutOpenSides(keyring: keyring, logger: logger)

        let context = try ZMQContext()
        // Bound before the sockets, so no handshake gets past an absent handler.
        let authenticator = try keyring.map { keyring in try ZAPHandler.start(in: context) { keyring.decide($0) } }
        defer { authenticator?.stop() }
        let proxy = BusProxy(
            frontendEndpoint: self.frontend,
            backendEndpoint: self.backend,
            keyring: keyring,
            logger: logger
        )

        // Signals arrive on a dispatch queue; the proxy's thread (this one) never runs a handler.
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { proxy.requestStop(context: context) }
            source.resume()
            sources.append(source)
        }
        if let keyring {
            signal(SIGHUP, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
            source.setEventHandler {
                do {
                    let counts = try keyring.reload()
                    logger.notice(
                        "Reloaded the allowed keys",
                        metadata: ["encoders": "\(counts.encoders)", "gateways": "\(counts.gateways)"]
                    )
                } catch {
                    logger.error("Kept the allowed keys as they were: \(error)")
                }
            }
            source.resume()
            sources.append(source)
        }
        defer { for source in sources { source.cancel() } }

        do {
            try proxy.run(context: context)
        } catch {
            logger.error("Proxy failed", metadata: ["error": "\(error)"])
            throw ExitCode.failure
        }
        logger.info("Proxy stopped")
    }

    private func makeKeyring(logger: Logger) throws -> ProxyKeyring? {
        guard let curveKeyFile else { return nil }
        do {
            let keyring = try ProxyKeyring(
                keys: try CurveKeyPair(secretCertificateAt: curveKeyFile),
                encoderDirectory: self.encoderKeys,
                gatewayDirectory: self.gatewayKeys,
                logger: logger
            )
            logger.info(
                "CURVE on",
                metadata: [
                    "server.key": "\(keyring.keys.publicKey)",
                    "encoder.keys": "\(self.encoderKeys ?? "none: the frontend is open")",
                    "gateway.keys": "\(self.gatewayKeys ?? "none: the backend is open")",
                ]
            )
            return keyring
        } catch {
            throw CLIError("\(error)")
        }
    }

    private func warnAboutOpenSides(keyring: ProxyKeyring?, logger: Logger) {
        if keyring?.encoders == nil && !Self.isLoopback(self.frontend) {
            logger.warning(
                "NO AUTHENTICATION on the frontend: anyone who can reach it can publish streams to every gateway; give --curve-key-file and --encoder-keys (see docs/SECURITY.md)",
                metadata: ["frontend": "\(self.frontend)"]
            )
        }
        if keyring?.gateways == nil && !Self.isLoopback(self.backend) {
            logger.warning(
                "NO AUTHENTICATION on the backend: anyone who can reach it can hear every stream; give --curve-key-file and --gateway-keys (see docs/SECURITY.md)",
                metadata: ["backend": "\(self.backend)"]
            )
        }
    }
}
