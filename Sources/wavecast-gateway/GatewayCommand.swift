import ArgumentParser
import Foundation
import Gateway
import Logging
import ServiceLifecycle
import UnixSignals
import WavecastCore
import WavecastTokens
import ZeroMQ

/// Option defaults from `WAVECAST_*` variables.
private let environment = EnvironmentDefaults()

/// `wavecast-gateway`: the stateless WebSocket fan-out of an encoder's bus, as a process.
@main
struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wavecast-gateway",
        abstract: "Relay the encoder's streams, paced in real time, to WebSocket clients.",
        discussion: """
            Clients connect to ws://HOST:PORT/ws/{stream} (or /ws for --default-stream) and receive \
            JSON text messages: start, chunk ({"event":"chunk","media":{"payload":<base64 MP3>,"is_sync":…}}) and end. \
            Add ?compat=seed for the prototype's chunk-only shape. See docs/PROTOCOL.md. Every option \
            can also be set in the environment as WAVECAST_<OPTION> (e.g. WAVECAST_BUS, comma-separated \
            for several; WAVECAST_LISTEN; WAVECAST_BURST_MS); a command-line flag wins.
            """
    )

    @Option(
        help:
            "Encoder bus endpoint to subscribe to; repeat for several encoders. A host name stands for every address it resolves to (e.g. a Kubernetes headless Service)."
    )
    var bus: [String] = environment.list("bus", ["tcp://127.0.0.1:5556"])

    @Option(help: "How often host names in --bus are resolved again, so encoders that come and go are followed, in ms.")
    var busResolveMs = environment.integer("bus-resolve-ms", 5000)

    @Option(help: "HOST:PORT to serve HTTP and WebSocket on.")
    var listen = environment.string("listen", "0.0.0.0:8080")

    @Option(help: "The stream GET /ws serves.")
    var defaultStream = environment.string("default-stream", "demo")

    @Option(help: "Milliseconds added to each stream's anchor to absorb bus jitter.")
    var jitterMs = environment.integer("jitter-ms", 40)

    @Option(help: "Milliseconds of recent audio sent at once to a new client (0: lowest latency).")
    var burstMs = environment.integer("burst-ms", 300)

    @Option(help: "Milliseconds of each stream's recent audio kept for clients reconnecting with ?resume= (0: none).")
    var resumeWindowMs = environment.integer("resume-window-ms", 10_000)

    @Option(help: "Milliseconds a client may fall behind before it is closed with 1013.")
    var maxClientLagMs = environment.integer("max-client-lag-ms", 2000)

    @Option(help: "Most WebSocket clients at once; more get 503 before the upgrade.")
    var maxClients = environment.integer("max-clients", 20_000)

    @Option(help: "Milliseconds a client may stay silent before it is pinged (and between pings).")
    var pingIntervalMs = environment.integer("ping-interval-ms", 20_000)

    @Option(help: "Milliseconds a client may stay silent (no frame, no pong) before it is closed with 1001.")
    var idleTimeoutMs = environment.integer("idle-timeout-ms", 60_000)

    @Option(help: "Milliseconds a connection may take to send a whole HTTP request (or handshake) before it is closed.")
    var requestTimeoutMs = environment.integer("request-timeout-ms", 10_000)

    @Option(help: "Comma-separated Origin values allowed to connect (empty: any).")
    var allowedOrigins = environment.string("allowed-origins", "")

    @Option(help: "Spread each chunk's fan-out over half its duration in groups of this many clients (0: one loop).")
    var fanoutGroupSize = environment.integer("fanout-group-size", 0)

    @Option(
        name: .customLong("unsubscribe-delay-ms"),
        help: "How long to stay subscribed to a stream on the bus after its last listener here left, in ms."
    )
    var unsubscribeDelayMs = environment.integer("unsubscribe-delay-ms", 5000)

    @Option(
        name: .customLong("twilio-stream-wait-ms"),
        help: "How long a Twilio call waits for its stream to go live before it is closed as unknown (4404), in ms."
    )
    var twilioStreamWaitMs = environment.integer("twilio-stream-wait-ms", 10000)

    @Option(
        name: .customLong("drain-ms"),
        help:
            "On SIGTERM: turn not-ready, refuse new clients, and close the clients with 1001 spread over this many ms (0: all at once)."
    )
    var drainMs = environment.integer("drain-ms", 5000)

    @Option(help: "Event loop threads (0: one per core, at most 64).")
    var threads = environment.integer("threads", 0)

    @Option(
        name: .customLong("curve-key-file"),
        help:
            "This gateway's secret CURVE certificate (NAME.key_secret from `wavecast keygen`), for an encoder with --gateway-keys."
    )
    var curveKeyFile = environment.value("curve-key-file")

    @Option(
        name: .customLong("server-key-file"),
        help: "The encoders' public CURVE certificate (the encoder's NAME.key), with --curve-key-file."
    )
    var serverKeyFile = environment.value("server-key-file")

    @Option(
        help:
            "Listener authentication: 'token' (a signed token per listener; needs --token-secret-file) or 'off'. Default: 'token' when a secret is given, else 'off'."
    )
    var auth = environment.value("auth")

    @Option(
        name: .customLong("token-secret-file"),
        help:
            "File holding the secret listener tokens are signed with (at least 32 bytes; `wavecast token` signs with the same)."
    )
    var tokenSecretFile = environment.value("token-secret-file")

    @Option(
        name: .customLong("public-streams"),
        help: "Comma-separated streams anyone may hear without a token (an id, or a prefix ending in '*'), e.g. demo."
    )
    var publicStreams = environment.string("public-streams", "")

    @Option(
        name: .customLong("max-connects-per-second"),
        help: "WebSocket connection attempts allowed per client address per second; more get 429 (0: no cap)."
    )
    var maxConnectsPerSecond = environment.integer("max-connects-per-second", 0)

    @Option(help: "Log level: trace, debug, info, notice, warning, error or critical.")
    var logLevel = environment.string("log-level", "info")

    func validate() throws {
        let problems = environment.problems(
            integers: [
                "jitter-ms", "burst-ms", "max-client-lag-ms", "max-clients", "ping-interval-ms", "idle-timeout-ms",
                "request-timeout-ms", "threads", "fanout-group-size", "unsubscribe-delay-ms", "max-connects-per-second",
                "resume-window-ms", "twilio-stream-wait-ms", "drain-ms", "bus-resolve-ms",
            ]
        )
        if let problem = problems.first {
            throw ValidationError(problem)
        }
        _ = try self.makeConfiguration()
        guard Logger.Level(rawValue: self.logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
    }

    func makeConfiguration() throws -> GatewayConfiguration {
        guard let listen = HostAndPort(parsing: self.listen) else {
            throw ValidationError("--listen must be HOST:PORT (e.g. 0.0.0.0:8080), not '\(self.listen)'")
        }
        let defaultStream: StreamID
        do {
            defaultStream = try StreamID(self.defaultStream)
        } catch {
            throw ValidationError("--default-stream: \(error)")
        }
        guard !self.bus.isEmpty, self.bus.allSatisfy({ $0.contains("://") }) else {
            throw ValidationError("--bus must be a ZeroMQ endpoint such as tcp://127.0.0.1:5556")
        }
        if let malformed = self.bus.first(where: { $0.hasPrefix("tcp://") && TCPEndpoint($0) == nil }) {
            throw ValidationError(
                "--bus '\(malformed)' is not tcp://HOST:PORT (a name or an address, and a port from 1 to 65535)"
            )
        }
        guard (100...600_000).contains(self.busResolveMs) else {
            throw ValidationError("--bus-resolve-ms must be between 100 and 600000, not \(self.busResolveMs)")
        }
        guard self.jitterMs >= 0, self.burstMs >= 0, self.maxClientLagMs > 0, self.maxClients > 0 else {
            throw ValidationError("--jitter-ms and --burst-ms must be ≥ 0; --max-client-lag-ms and --max-clients > 0")
        }
        guard self.pingIntervalMs > 0 else {
            throw ValidationError("--ping-interval-ms must be > 0 (milliseconds of silence before a ping)")
        }
        guard self.idleTimeoutMs > 0 else {
            throw ValidationError("--idle-timeout-ms must be > 0 (milliseconds of silence before a close)")
        }
        guard self.idleTimeoutMs > self.pingIntervalMs else {
            throw ValidationError(
                "--idle-timeout-ms (\(self.idleTimeoutMs)) must be longer than --ping-interval-ms "
                    + "(\(self.pingIntervalMs)), or silent clients are closed before they are pinged"
            )
        }
        guard self.requestTimeoutMs > 0 else {
            throw ValidationError("--request-timeout-ms must be > 0 (milliseconds to send a whole request)")
        }
        var configuration = GatewayConfiguration(
            busEndpoints: self.bus,
            host: listen.host,
            port: listen.port,
            defaultStream: defaultStream,
            jitter: .milliseconds(self.jitterMs),
            burst: .milliseconds(self.burstMs),
            maxClientLag: .milliseconds(self.maxClientLagMs),
            maxClients: self.maxClients,
            pingInterval: .milliseconds(self.pingIntervalMs),
            idleTimeout: .milliseconds(self.idleTimeoutMs),
            requestTimeout: .milliseconds(self.requestTimeoutMs)
        )
        if !self.allowedOrigins.isEmpty {
            let origins = self.allowedOrigins
            configuration.allowedOrigins = Set(origins.split(separator: ",").map { String($0).trimmed })
        }
        guard self.fanoutGroupSize >= 0 else { throw ValidationError("--fanout-group-size must be ≥ 0") }
        configuration.fanoutGroupSize = self.fanoutGroupSize
        guard self.unsubscribeDelayMs >= 0 else {
            throw ValidationError("--unsubscribe-delay-ms must be ≥ 0, not \(self.unsubscribeDelayMs)")
        }
        configuration.unsubscribeDelay = .milliseconds(self.unsubscribeDelayMs)
        guard self.twilioStreamWaitMs >= 0 else {
            throw ValidationError("--twilio-stream-wait-ms must be ≥ 0, not \(self.twilioStreamWaitMs)")
        }
        configuration.twilioStreamWait = .milliseconds(self.twilioStreamWaitMs)
        guard (0...64).contains(self.threads) else {
            throw ValidationError("--threads must be 0 (one per core) or between 1 and 64, not \(self.threads)")
        }
        if self.threads > 0 {
            configuration.eventLoopThreads = self.threads
        }
        configuration.eventLoopThreads = min(configuration.eventLoopThreads, 64)
        configuration.busCurve = try self.busCurve()
        configuration.tokens = try self.tokenSigner()
        configuration.publicStreams = self.publicStreams.split(separator: ",").map { String($0).trimmed }
            .filter { !$0.isEmpty }
        guard self.maxConnectsPerSecond >= 0 else {
            throw ValidationError("--max-connects-per-second must be ≥ 0 (0: no cap), not \(self.maxConnectsPerSecond)")
        }
        configuration.maxConnectsPerSecond = self.maxConnectsPerSecond
        guard (0...600_000).contains(self.resumeWindowMs) else {
            throw ValidationError(
                "--resume-window-ms must be between 0 and 600000 (ten minutes), not \(self.resumeWindowMs)"
            )
        }
        configuration.resumeWindow = .milliseconds(self.resumeWindowMs)
        guard (0...600_000).contains(self.drainMs) else {
            throw ValidationError(
                "--drain-ms must be between 0 (close every client at once) and 600000 (ten minutes), not \(self.drainMs); "
                    + "keep it below the pod's terminationGracePeriodSeconds"
            )
        }
        configuration.drain = .milliseconds(self.drainMs)
        configuration.busResolveInterval = .milliseconds(self.busResolveMs)
        return configuration
    }

    /// The token checker `--auth` and `--token-secret-file` ask for; `nil` for `--auth off`.
    private func tokenSigner() throws -> TokenSigner? {
        switch (self.auth ?? (self.tokenSecretFile == nil ? "off" : "token"), self.tokenSecretFile) {
        case ("off", _):
            return nil
        case ("token", let file?):
            let text: String
            do {
                text = try String(contentsOfFile: file, encoding: .utf8)
            } catch {
                throw ValidationError("--token-secret-file \(file) cannot be read: \(error.localizedDescription)")
            }
            do {
                return try TokenSigner(secretText: text)
            } catch {
                throw ValidationError("--token-secret-file \(file): \(error)")
            }
        case ("token", nil):
            throw ValidationError("--auth token needs --token-secret-file, the secret tokens are signed with")
        case (let other, _):
            throw ValidationError("--auth must be 'token' or 'off', not '\(other)'")
        }
    }

    /// The bus socket's CURVE keys, from the two certificate files; `nil` when neither is given.
    private func busCurve() throws -> CurveClientKeys? {
        switch (self.curveKeyFile, self.serverKeyFile) {
        case (nil, nil):
            return nil
        case (let keyFile?, let serverFile?):
            do {
                let keys = try CurveKeyPair(secretCertificateAt: keyFile)
                return CurveClientKeys(
                    keys: keys,
                    serverPublicKey: try CurveCertificate(contentsOf: serverFile).publicKey
                )
            } catch let error as CurveKeyError {
                throw ValidationError("\(error)")
            }
        default:
            throw ValidationError(
                "a CURVE bus needs both --curve-key-file (the gateway's, secret) and --server-key-file (the encoder's, public)"
            )
        }
    }

    func run() async throws {
        var logger = Logger(label: "wavecast.gateway")
        logger.logLevel = Logger.Level(rawValue: self.logLevel) ?? .info
        let configuration = try self.makeConfiguration()
        if configuration.tokens == nil && !["127.0.0.1", "localhost", "::1"].contains(configuration.host) {
            logger.warning(
                """
                NO AUTHENTICATION: anyone who can reach \(configuration.host):\(configuration.port) can listen to any \
                stream; give --token-secret-file to require signed tokens (see docs/SECURITY.md)
                """
            )
        }
        let group = ServiceGroup(
            configuration: .init(
                services: [GatewayService(configuration: configuration, logger: logger)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
    }
}

extension String {
    fileprivate var trimmed: String {
        String(self.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
