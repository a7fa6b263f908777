import ArgumentParser
import Encoder
import Logging
import ServiceLifecycle
import UnixSignals
import WavecastCore
import ZeroMQ

/// Option defaults from `WAVECAST_*` variables.
private let environment = EnvironmentDefaults()

/// `wavecast-encoder`: the encoder service as a process.
@main
struct EncoderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wavecast-encoder",
        abstract: "Encode WAV files and live PCM fed over ZeroMQ to MP3, and publish the frames in real time.",
        discussion: """
            Feed it with `wavecast feed FILE --stream ID`, or from any ZeroMQ DEALER or REQ socket \
            (see docs/PROTOCOL.md). Gateways subscribe to the --publish endpoint, or to a bus proxy \
            (`wavecast proxy`) this encoder publishes to with --bus-connect. Every option can \
            also be set in the environment as WAVECAST_<OPTION> (e.g. WAVECAST_INGEST, \
            WAVECAST_SAMPLE_RATE, WAVECAST_BIT_RESERVOIR=1); a command-line flag wins.
            """
    )

    @Option(help: "ZeroMQ endpoint for feeders (ROUTER).")
    var ingest = environment.string("ingest", "tcp://*:5555")

    @Option(help: "ZeroMQ endpoint for gateways (XPUB); 'off' to bind none and only publish to --bus-connect.")
    var publish = environment.string("publish", "tcp://*:5556")

    @Option(
        name: .customLong("bus-connect"),
        help:
            "A bus proxy's frontend (`wavecast proxy`) to publish to, e.g. tcp://proxy:5557; repeatable. Beside --publish, or instead of it with --publish off."
    )
    var busConnect: [String] = environment.list("bus-connect", [])

    @Option(
        name: .customLong("proxy-key-file"),
        help:
            "The bus proxy's public CURVE certificate (its NAME.key): the --bus-connect connections are CURVE, with this encoder's --curve-key-file."
    )
    var proxyKeyFile = environment.value("proxy-key-file")

    @Option(help: "HOST:PORT for /healthz and /metrics; 'off' to run no HTTP server.")
    var http = environment.string("http", "0.0.0.0:9091")

    @Option(help: "MP3 sample rate in Hz: 8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100 or 48000.")
    var sampleRate = environment.integer("sample-rate", 8000)

    @Option(help: "MP3 bitrate in kbit/s, one that MPEG Layer III allows at that sample rate.")
    var bitrate = environment.integer("bitrate", 8)

    @Option(help: "Whole MP3 frames per published chunk (1 frame = 72 ms at 8 kHz).")
    var chunkFrames = environment.integer("chunk-frames", 1)

    @Option(help: "Largest request accepted, header and payload together, in bytes.")
    var maxMessageBytes = environment.integer("max-message-bytes", 256 * 1024 * 1024)

    @Option(help: "Most streams playing or open at once.")
    var maxStreams = environment.integer("max-streams", 10_000)

    @Option(help: "LAME quality, 0 (best) to 9 (fastest).")
    var quality = environment.integer("quality", 5)

    @Flag(
        inversion: .prefixedNo,
        help: "Use LAME's bit reservoir: slightly better quality, but chunks are no longer all sync points."
    )
    var bitReservoir = environment.flag("bit-reservoir", false)

    @Option(
        name: .customLong("replay-ms"),
        help: "Recent audio kept per stream and replayed to each new subscriber (a gateway's first listener), in ms."
    )
    var replayMilliseconds = environment.integer("replay-ms", 1000)

    @Option(
        name: .customLong("catalogue-interval-ms"),
        help: "How often the catalogue of live streams is published on the bus's control topic, in ms."
    )
    var catalogueIntervalMilliseconds = environment.integer("catalogue-interval-ms", 1000)

    @Option(
        name: .customLong("heartbeat-ms"),
        help: "How often a heartbeat is published on the bus, in ms (gateways are ready while they hear them)."
    )
    var heartbeatMilliseconds = environment.integer("heartbeat-ms", 1000)

    @Option(help: "Threads that decode and encode audio.")
    var encodingThreads = environment.integer("encoding-threads", 2)

    @Option(
        help:
            "Renditions a play or open gets unless it names its own: mp3, or mp3,mulaw to add G.711 µ-law at 8 kHz (phone calls)."
    )
    var renditions = environment.string("renditions", "mp3")

    @Option(
        name: .customLong("curve-key-file"),
        help:
            "The encoder's secret CURVE certificate (NAME.key_secret from `wavecast keygen`): turns on CURVE for feeders, and for gateways with --gateway-keys."
    )
    var curveKeyFile = environment.value("curve-key-file")

    @Option(
        name: .customLong("feeder-keys"),
        help: "Directory of the feeders' public certificates (*.key) allowed to connect; re-read on SIGHUP."
    )
    var feederKeys = environment.value("feeder-keys")

    @Option(
        name: .customLong("gateway-keys"),
        help:
            "Directory of the gateways' public certificates (*.key) allowed to subscribe to the bus; re-read on SIGHUP."
    )
    var gatewayKeys = environment.value("gateway-keys")

    @Option(help: "Log level: trace, debug, info, notice, warning, error or critical.")
    var logLevel = environment.string("log-level", "info")

    func validate() throws {
        let problems = environment.problems(
            integers: [
                "sample-rate", "bitrate", "chunk-frames", "max-message-bytes", "max-streams", "quality",
                "encoding-threads", "replay-ms", "catalogue-interval-ms", "heartbeat-ms",
            ],
            flags: ["bit-reservoir"]
        )
        if let problem = problems.first {
            throw ValidationError(problem)
        }
        do {
            let format = try MP3OutputFormat(sampleRate: self.sampleRate, bitrate: self.bitrate, channels: 1)
            try EncoderConfiguration(outputFormat: format, quality: self.quality).validateWithLAME()
        } catch {
            throw ValidationError("\(error)")
        }
        guard (1...1000).contains(self.chunkFrames) else {
            throw ValidationError("--chunk-frames must be between 1 and 1000, not \(self.chunkFrames)")
        }
        guard (0...9).contains(self.quality) else {
            throw ValidationError("--quality must be between 0 and 9, not \(self.quality)")
        }
        guard self.maxMessageBytes >= 1024 else {
            throw ValidationError("--max-message-bytes must be at least 1024, not \(self.maxMessageBytes)")
        }
        guard self.maxStreams >= 1, self.encodingThreads >= 1 else {
            throw ValidationError("--max-streams and --encoding-threads must be at least 1")
        }
        guard (0...10_000).contains(self.replayMilliseconds) else {
            throw ValidationError("--replay-ms must be between 0 and 10000, not \(self.replayMilliseconds)")
        }
        // A gateway is ready while it has heard a heartbeat within 3 s: a slower beat would flap its readiness.
        guard (10...2000).contains(self.heartbeatMilliseconds) else {
            throw ValidationError("--heartbeat-ms must be between 10 and 2000, not \(self.heartbeatMilliseconds)")
        }
        guard (100...60_000).contains(self.catalogueIntervalMilliseconds) else {
            throw ValidationError(
                "--catalogue-interval-ms must be between 100 and 60000, not \(self.catalogueIntervalMilliseconds)"
            )
        }
        guard Logger.Level(rawValue: self.logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        if (self.feederKeys != nil || self.gatewayKeys != nil) && self.curveKeyFile == nil {
            throw ValidationError(
                "--feeder-keys and --gateway-keys need --curve-key-file, the encoder's own secret certificate"
            )
        }
        if self.curveKeyFile != nil && self.feederKeys == nil {
            throw ValidationError(
                "--curve-key-file needs --feeder-keys, the directory of the feeders' public certificates"
            )
        }
        try self.validateBusProxy()
        _ = try self.parsedRenditions()
        if self.http != "off" && HostAndPort(parsing: self.http) == nil {
            throw ValidationError("--http must be HOST:PORT (e.g. 0.0.0.0:9091) or 'off', not '\(self.http)'")
        }
    }

    /// Checks `--publish off`, `--bus-connect` and `--proxy-key-file` together.
    func validateBusProxy() throws {
        if self.publish == "off" && self.busConnect.isEmpty {
            throw ValidationError("--publish off needs --bus-connect: otherwise no gateway could hear this encoder")
        }
        if let bad = self.busConnect.first(where: { !$0.contains("://") }) {
            throw ValidationError("--bus-connect must be a ZeroMQ endpoint such as tcp://proxy:5557, not '\(bad)'")
        }
        if self.proxyKeyFile != nil && (self.busConnect.isEmpty || self.curveKeyFile == nil) {
            throw ValidationError(
                "--proxy-key-file needs --bus-connect (the proxy) and --curve-key-file (the key this encoder presents)"
            )
        }
        // A CURVE bus must not leave by an open door: the proxy would hand every stream to anyone on its way.
        if self.gatewayKeys != nil && !self.busConnect.isEmpty && self.proxyKeyFile == nil {
            throw ValidationError(
                "--gateway-keys (a CURVE bus) with --bus-connect needs --proxy-key-file, the proxy's public certificate: without it the bus would reach the proxy unencrypted"
            )
        }
    }

    /// `--renditions` as renditions: known names, each once, MP3 among them (as a request's `renditions`).
    func parsedRenditions() throws -> [BusRendition] {
        let names = self.renditions.split(separator: ",").map { String($0.filter { $0 != " " }) }
        var renditions: [BusRendition] = []
        for name in names {
            guard let rendition = BusRendition(name: name) else {
                throw ValidationError("--renditions: unknown rendition '\(name)'; use mp3 or mp3,mulaw")
            }
            guard !renditions.contains(rendition) else {
                throw ValidationError("--renditions names '\(name)' twice")
            }
            renditions.append(rendition)
        }
        guard renditions.contains(.mp3) else {
            throw ValidationError("--renditions must include mp3 (every stream has its MP3), e.g. mp3,mulaw")
        }
        return renditions
    }

    /// Whether a ZeroMQ endpoint is reachable from this host only.
    static func isLoopback(_ endpoint: String) -> Bool {
        endpoint.hasPrefix("ipc://") || endpoint.hasPrefix("inproc://") || endpoint.hasPrefix("tcp://127.")
            || endpoint.hasPrefix("tcp://localhost:") || endpoint.hasPrefix("tcp://[::1]:")
    }

    func run() async throws {
        var logger = Logger(label: "wavecast.encoder")
        logger.logLevel = Logger.Level(rawValue: self.logLevel) ?? .info
        let format = try MP3OutputFormat(sampleRate: self.sampleRate, bitrate: self.bitrate, channels: 1)
        let httpAddress = self.http == "off" ? nil : HostAndPort(parsing: self.http)
        var configuration = EncoderConfiguration(
            ingestEndpoint: self.ingest,
            publishEndpoint: self.publish == "off" ? nil : self.publish,
            busConnectEndpoints: self.busConnect,
            httpHost: httpAddress?.host,
            httpPort: httpAddress?.port ?? 0,
            outputFormat: format,
            framesPerChunk: self.chunkFrames,
            maxMessageBytes: self.maxMessageBytes,
            maxStreams: self.maxStreams,
            quality: self.quality,
            bitReservoir: self.bitReservoir,
            heartbeatInterval: .milliseconds(self.heartbeatMilliseconds),
            replayWindow: .milliseconds(self.replayMilliseconds),
            catalogueInterval: .milliseconds(self.catalogueIntervalMilliseconds),
            encodingThreads: self.encodingThreads,
            renditions: try self.parsedRenditions()
        )
        if let proxyKeyFile {
            configuration.proxyPublicKey = try CurveCertificate(contentsOf: proxyKeyFile).publicKey
        }
        if let curveKeyFile, let feederKeys {
            let keys = try CurveKeyPair(secretCertificateAt: curveKeyFile)
            configuration.keyring = try EncoderKeyring(
                keys: keys,
                feederDirectory: feederKeys,
                gatewayDirectory: self.gatewayKeys,
                logger: logger
            )
            logger.info(
                "CURVE on",
                metadata: [
                    "server.key": "\(keys.publicKey)", "feeder.keys": "\(feederKeys)",
                    "gateway.keys": "\(self.gatewayKeys ?? "none: the bus is open")",
                ]
            )
        } else if !Self.isLoopback(self.ingest) {
            logger.warning(
                """
                NO AUTHENTICATION: anyone who can reach the ingest endpoint can play, replace or stop any stream; \
                give --curve-key-file and --feeder-keys (see docs/SECURITY.md)
                """,
                metadata: ["ingest": "\(self.ingest)"]
            )
        }
        let metrics = EncoderMetrics()
        var services: [any Service] = [EncoderService(configuration: configuration, metrics: metrics, logger: logger)]
        if let keyring = configuration.keyring {
            services.append(KeyringReloader(keyring: keyring, logger: logger))
        }
        if let httpAddress {
            services.append(
                HealthServer(host: httpAddress.host, port: httpAddress.port, metrics: metrics, logger: logger)
            )
        }
        let group = ServiceGroup(
            configuration: .init(
                services: services,
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        logger.info(
            "Starting encoder",
            metadata: [
                "format": "\(format)", "chunk.frames": "\(self.chunkFrames)", "bit.reservoir": "\(self.bitReservoir)",
            ]
        )
        try await group.run()
    }
}
