/// What one run measures and how: the sections, their sizes and the options, from the command line's flags and
/// the `WAVECAST_BENCH_*` environment variables (scripts/bench documents each one).
public struct BenchSettings: Sendable, Hashable {
    /// The sections to run, in order.
    public var sections: [BenchSection]
    /// The sizes, with any environment overrides applied.
    public var sizes: BenchSizes
    /// Options for the gateway of the fan-out sections (WAVECAST_BENCH_GATEWAY_OPTIONS).
    public var gatewayOptions: [String]
    /// Another `wavecast-gateway` executable to measure instead of the one just built (WAVECAST_BENCH_GATEWAY_BINARY).
    public var gatewayBinary: String?
    /// The servers each fan-out and shape runs against, in order (WAVECAST_BENCH_SERVERS).
    public var servers: [BenchServer]
    /// Each client count is measured this many times, alternating the servers (WAVECAST_BENCH_ROUNDS).
    public var rounds: Int
    /// The longest wait for a quiet machine before a measurement, in seconds (WAVECAST_BENCH_QUIET_WAIT_S).
    public var quietWaitSeconds: Double

    /// LAME qualities the encode section times: the service's default first.
    public let qualities = [5, 7, 2]
    /// The streams section reports the largest N whose publication p99 is within this, in milliseconds.
    public let latenessGoalMilliseconds = 5.0
    /// The gateway sections' target: lateness p99 within this (and nothing lost, every client connected).
    public var clientTarget = ClientTarget(latenessGoalMilliseconds: 20)
    /// The load tool opens this many connections per second.
    public let clientRampPerSecond = 1000

    /// Reads the settings.
    ///
    /// - Parameters:
    ///   - encoderOnly: `--encoder-only`: encode speed, then concurrent streams.
    ///   - gatewayOnly: `--gateway-only`: fan-out against the C baseline, end-to-end latency, then security.
    ///   - shapesOnly: `--shapes-only`: stream shapes, balancing, live PCM.
    ///   - quick: `--quick`: ``BenchSizes/quick``.
    ///   - environment: the process environment (only `WAVECAST_BENCH_*` is read).
    /// - Throws: ``BenchSettingsError`` naming the flag or variable that is wrong and what it accepts.
    public init(
        encoderOnly: Bool,
        gatewayOnly: Bool,
        shapesOnly: Bool,
        quick: Bool,
        environment: [String: String]
    ) throws(BenchSettingsError) {
        if encoderOnly && gatewayOnly {
            throw BenchSettingsError(
                "--encoder-only and --gateway-only exclude each other (give neither for every section)"
            )
        }
        var runEncoder = true
        var runGateway = true
        var runShapes = true
        if encoderOnly { (runGateway, runShapes) = (false, false) }
        if gatewayOnly { (runEncoder, runShapes) = (false, false) }
        if shapesOnly { (runEncoder, runGateway) = (false, false) }

        let variables = EnvironmentReader(environment)
        var sizes = quick ? BenchSizes.quick : BenchSizes.full
        sizes.shapes =
            try variables.list("WAVECAST_BENCH_SHAPES", "shapes such as 1000x2", StreamShape.init)
            ?? sizes.shapes
        sizes.idleStreams = try variables.counts("WAVECAST_BENCH_IDLE_STREAMS") ?? sizes.idleStreams
        sizes.liveStreams = try variables.counts("WAVECAST_BENCH_LIVE_STREAMS") ?? sizes.liveStreams
        sizes.streamCounts = try variables.counts("WAVECAST_BENCH_STREAM_COUNTS") ?? sizes.streamCounts
        sizes.clientCounts = try variables.counts("WAVECAST_BENCH_CLIENT_COUNTS") ?? sizes.clientCounts
        sizes.securityListeners =
            try variables.counts("WAVECAST_BENCH_SECURITY_LISTENERS")?.first ?? sizes.securityListeners
        sizes.securityStreams = try variables.counts("WAVECAST_BENCH_SECURITY_STREAMS")?.first ?? sizes.securityStreams
        sizes.securityGatewayStreams =
            try variables.counts("WAVECAST_BENCH_SECURITY_GATEWAY_STREAMS")?.first ?? sizes.securityGatewayStreams
        sizes.handshakes = try variables.counts("WAVECAST_BENCH_SECURITY_HANDSHAKES")?.first ?? sizes.handshakes
        sizes.proxyStreams = try variables.counts("WAVECAST_BENCH_PROXY_STREAMS") ?? sizes.proxyStreams
        self.sizes = sizes
        self.gatewayOptions = variables.words("WAVECAST_BENCH_GATEWAY_OPTIONS") ?? []
        self.gatewayBinary = variables.words("WAVECAST_BENCH_GATEWAY_BINARY")?.joined(separator: " ")
        self.servers =
            try variables.list("WAVECAST_BENCH_SERVERS", "gateway or baseline", BenchServer.init(rawValue:))
            ?? [.gateway, .baseline]
        self.rounds = try variables.counts("WAVECAST_BENCH_ROUNDS")?.first ?? 1
        self.quietWaitSeconds =
            try variables.list("WAVECAST_BENCH_QUIET_WAIT_S", "seconds, 0 or more") {
                Double($0).flatMap { $0 >= 0 ? $0 : nil }
            }?.first ?? 120
        let chunkFrames = try variables.counts("WAVECAST_BENCH_CHUNK_FRAMES") ?? [1, 4]
        let latency = variables.words("WAVECAST_BENCH_LATENCY")?.first != "0"

        var sections: [BenchSection] = []
        if runEncoder { sections += [.encodeSpeed, .encoderStreams] }
        if runGateway {
            sections += chunkFrames.map { .gatewayFanout(chunkFrames: $0) }
            if latency { sections.append(.gatewayLatency) }
            sections.append(.security)
        }
        if runShapes { sections += [.shapes, .tier, .encoderLive] }
        if let names = variables.words("WAVECAST_BENCH_SECTIONS") {
            sections = []
            for name in names { sections += try Self.sections(named: name, chunkFrames: chunkFrames) }
        }
        self.sections = sections
    }

    /// The sections WAVECAST_BENCH_SECTIONS means by `name` (`section_shapes`, or `shapes` for short); the
    /// fan-out section once per frames-per-chunk setting.
    private static func sections(named name: String, chunkFrames: [Int]) throws(BenchSettingsError) -> [BenchSection] {
        let full = name.hasPrefix("section_") ? name : "section_" + name
        switch full {
        case "section_encode_speed": return [.encodeSpeed]
        case "section_encoder_streams": return [.encoderStreams]
        case "section_gateway_fanout": return chunkFrames.map { .gatewayFanout(chunkFrames: $0) }
        case "section_gateway_latency": return [.gatewayLatency]
        case "section_shapes": return [.shapes]
        case "section_tier": return [.tier]
        case "section_encoder_live": return [.encoderLive]
        case "section_security": return [.security]
        case "section_proxy": return [.proxy]
        default:
            throw BenchSettingsError(
                "WAVECAST_BENCH_SECTIONS: no section '\(name)'; the sections are \(BenchSection.names.joined(separator: ", "))"
            )
        }
    }

    /// Whether any section starts a gateway or the C baseline.
    public var usesGateway: Bool { self.sections.contains { $0.usesGateway } }
}

/// A server the fan-out sections measure.
public enum BenchServer: String, Sendable, Hashable {
    /// Wavecast's gateway.
    case gateway
    /// The C yardstick, Benchmarks/baseline.
    case baseline

    /// How the tables name it.
    public var label: String { self == .gateway ? "gateway" : "C baseline" }
}

/// A setting the run cannot use, said so that the fix is plain.
public struct BenchSettingsError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong and what would be right.
    public var description: String

    /// Creates an error saying `description`.
    public init(_ description: String) {
        self.description = description
    }
}

/// Reads `WAVECAST_BENCH_*` variables as whitespace-separated words; an empty variable counts as unset, as in the
/// shell driver before.
private struct EnvironmentReader {
    let environment: [String: String]

    /// Reads from `environment` (the process environment, or a test's dictionary).
    init(_ environment: [String: String]) {
        self.environment = environment
    }

    /// The variable's words, or `nil` when it is unset or blank.
    func words(_ name: String) -> [String]? {
        guard let value = self.environment[name] else { return nil }
        let words = value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init)
        return words.isEmpty ? nil : words
    }

    /// The variable's words, each parsed by `parse`; throws naming the first word it rejects.
    func list<Value>(
        _ name: String,
        _ expected: String,
        _ parse: (String) -> Value?
    ) throws(BenchSettingsError) -> [Value]? {
        guard let words = self.words(name) else { return nil }
        var values: [Value] = []
        for word in words {
            guard let value = parse(word) else {
                throw BenchSettingsError("\(name): '\(word)' is not valid here (expected \(expected))")
            }
            values.append(value)
        }
        return values
    }

    /// The variable's words as positive whole numbers.
    func counts(_ name: String) throws(BenchSettingsError) -> [Int]? {
        try self.list(name, "positive whole numbers separated by spaces") { Int($0).flatMap { $0 > 0 ? $0 : nil } }
    }
}
