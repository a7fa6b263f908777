public import MP3Encoding
public import WavecastCore

/// Everything that sets up an encoder service; each field has a command-line option of the same meaning.
public struct EncoderConfiguration: Sendable {
    /// ZeroMQ endpoint the ROUTER socket binds for feeders (`--ingest`).
    public var ingestEndpoint: String
    /// ZeroMQ endpoint the bus XPUB socket binds for gateways (`--publish`); `nil` binds none, for an encoder
    /// that only connects to a bus proxy (`--publish off`).
    public var publishEndpoint: String?
    /// Bus proxies (`wavecast proxy`) the bus XPUB socket connects to (`--bus-connect`): the proxy's frontend,
    /// where encoders publish and from which every gateway connected to its backend is served. Beside
    /// ``publishEndpoint`` or instead of it.
    public var busConnectEndpoints: [String]
    /// The bus proxy's public CURVE key (`--proxy-key-file`): the connections to ``busConnectEndpoints`` are
    /// CURVE, this encoder presenting its own key pair (``keyring``) to the proxy, which must allow it. `nil`
    /// leaves them with the bus socket's own security: none on an open bus. A CURVE bus (a ``keyring`` with
    /// gateway keys) needs it, or its connections would be CURVE servers no proxy answers;
    /// `wavecast-encoder` refuses that combination at startup.
    public var proxyPublicKey: String?
    /// Host of the HTTP server for `/healthz` and `/metrics` (`--http`); `nil` runs no HTTP server.
    public var httpHost: String?
    /// Port of the HTTP server; 0 picks a free one.
    public var httpPort: Int
    /// The MP3 every stream is encoded to (`--sample-rate`, `--bitrate`).
    public var outputFormat: MP3OutputFormat
    /// Whole MP3 frames per published chunk (`--chunk-frames`).
    public var framesPerChunk: Int
    /// Largest request accepted, header and payload together, in bytes (`--max-message-bytes`).
    public var maxMessageBytes: Int
    /// Most streams playing or open at once (`--max-streams`).
    public var maxStreams: Int
    /// LAME's quality setting, 0 (best) to 9 (fastest) (`--quality`).
    public var quality: Int
    /// Whether LAME's bit reservoir is used (`--bit-reservoir`); off makes every chunk a sync point.
    public var bitReservoir: Bool
    /// How often a heartbeat is published on the bus.
    public var heartbeatInterval: Duration
    /// Recent audio kept per stream and replayed to each new subscriber of the stream, so a gateway's first
    /// listener gets a burst at once (`--replay-ms`); zero keeps and replays nothing.
    public var replayWindow: Duration
    /// How often the whole catalogue of live streams is published on the control topic (`--catalogue-interval-ms`).
    public var catalogueInterval: Duration
    /// Threads that decode WAV files and run LAME (`--encoding-threads`).
    public var encodingThreads: Int
    /// The renditions a `play` or `open` that does not name any gets (`--renditions`): MP3 alone by default, or
    /// with µ-law 8 kHz beside it for phone calls (Twilio Media Streams). MP3 is always among them.
    public var renditions: [BusRendition]
    /// The CURVE keys and allow-lists (`--curve-key-file`, `--feeder-keys`, `--gateway-keys`); `nil`
    /// leaves the ingest and bus sockets open to anyone who can reach them.
    public var keyring: EncoderKeyring?

    /// Creates a configuration; the defaults are those of `wavecast-encoder` with no options.
    public init(
        ingestEndpoint: String = "tcp://*:5555",
        publishEndpoint: String? = "tcp://*:5556",
        busConnectEndpoints: [String] = [],
        httpHost: String? = "0.0.0.0",
        httpPort: Int = 9091,
        outputFormat: MP3OutputFormat = .default,
        framesPerChunk: Int = 1,
        maxMessageBytes: Int = 256 * 1024 * 1024,
        maxStreams: Int = 10_000,
        quality: Int = 5,
        bitReservoir: Bool = false,
        heartbeatInterval: Duration = .seconds(1),
        replayWindow: Duration = .milliseconds(1000),
        catalogueInterval: Duration = .seconds(1),
        encodingThreads: Int = 2,
        renditions: [BusRendition] = [.mp3]
    ) {
        self.ingestEndpoint = ingestEndpoint
        self.publishEndpoint = publishEndpoint
        self.busConnectEndpoints = busConnectEndpoints
        self.httpHost = httpHost
        self.httpPort = httpPort
        self.outputFormat = outputFormat
        self.framesPerChunk = framesPerChunk
        self.maxMessageBytes = maxMessageBytes
        self.maxStreams = maxStreams
        self.quality = quality
        self.bitReservoir = bitReservoir
        self.heartbeatInterval = heartbeatInterval
        self.replayWindow = replayWindow
        self.catalogueInterval = catalogueInterval
        self.encodingThreads = encodingThreads
        self.renditions = renditions
    }

    /// The LAME settings for input at `inputSampleRate`.
    func lameConfiguration(inputSampleRate: Int) -> LAMEConfiguration {
        LAMEConfiguration(
            inputSampleRate: inputSampleRate,
            outputSampleRate: self.outputFormat.sampleRate,
            bitrate: self.outputFormat.bitrate,
            quality: self.quality,
            bitReservoir: self.bitReservoir
        )
    }
}

extension EncoderConfiguration {
    /// Checks that LAME accepts the output format with input at any supported rate, so a bad
    /// setting fails at startup rather than on the first stream.
    ///
    /// MPEG-2.5 allows up to 160 kbit/s, but LAME caps 8–12 kHz output at 64 kbit/s, for example.
    /// - Throws: ``MP3EncoderError`` naming the setting LAME refuses.
    public func validateWithLAME() throws(MP3EncoderError) {
        for inputRate in [8000, 44100, 192_000] {
            _ = try MP3StreamEncoder(configuration: self.lameConfiguration(inputSampleRate: inputRate))
        }
    }
}
