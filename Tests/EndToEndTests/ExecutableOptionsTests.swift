import Testing
import WavecastTestSupport

/// The services refuse bad options at start, before binding anything, with a message that names the option and
/// what it accepts, and the usage exit status (64): a person fixes the command line, not a crash report.
@Suite(.serialized, .onOwnThreads)
struct ExecutableOptionsTests {
    /// One bad command line and a part of the message it must get.
    struct Case: Sendable, CustomTestStringConvertible {
        var executable: String
        var arguments: [String]
        var environment: [String: String] = [:]
        var says: String

        var testDescription: String {
            "\(self.executable) \((self.environment.map { "\($0)=\($1) " }.joined()))\(self.arguments.joined(separator: " "))"
        }
    }

    static let encoderCases: [Case] = [
        Case(
            executable: "wavecast-encoder",
            arguments: ["--heartbeat-ms", "5000"],
            says: "--heartbeat-ms must be between 10 and 2000, not 5000"
        ),
        Case(
            executable: "wavecast-encoder",
            arguments: ["--heartbeat-ms", "5"],
            says: "--heartbeat-ms must be between 10 and 2000, not 5"
        ),
        Case(
            executable: "wavecast-encoder",
            arguments: ["--replay-ms", "20000"],
            says: "--replay-ms must be between 0 and 10000"
        ),
        Case(
            executable: "wavecast-encoder",
            arguments: ["--catalogue-interval-ms", "50"],
            says: "--catalogue-interval-ms must be between 100 and 60000"
        ),
        Case(
            executable: "wavecast-encoder",
            arguments: ["--chunk-frames", "0"],
            says: "--chunk-frames must be between 1 and 1000, not 0"
        ),
        Case(
            executable: "wavecast-encoder",
            arguments: ["--quality", "10"],
            says: "quality must be 0 (best) to 9 (fastest)"
        ),
        Case(
            executable: "wavecast-encoder",
            arguments: ["--max-message-bytes", "100"],
            says: "--max-message-bytes must be at least 1024"
        ),
        Case(executable: "wavecast-encoder", arguments: ["--http", "nowhere"], says: "--http must be HOST:PORT"),
        Case(executable: "wavecast-encoder", arguments: ["--log-level", "loud"], says: "--log-level must be one of"),
        Case(
            executable: "wavecast-encoder",
            arguments: ["--bitrate", "7"],
            says: "has no bitrate of 7 kbps; use one of 8, 16"
        ),
        Case(
            executable: "wavecast-encoder",
            arguments: ["--heartbeat-ms", "often"],
            says: "The value 'often' is invalid for '--heartbeat-ms"
        ),
        Case(
            executable: "wavecast-encoder",
            arguments: [],
            environment: ["WAVECAST_HEARTBEAT_MS": "often"],
            says: "WAVECAST_HEARTBEAT_MS='often' is not a whole number"
        ),
    ]

    static let curveCases: [Case] = [
        Case(
            executable: "wavecast-encoder",
            arguments: ["--feeder-keys", "/tmp"],
            says: "--feeder-keys and --gateway-keys need --curve-key-file"
        ),
        Case(
            executable: "wavecast-encoder",
            arguments: ["--curve-key-file", "/proc/sys/kernel/ostype"],
            says: "--curve-key-file needs --feeder-keys"
        ),
    ]

    /// The bus proxy (`wavecast proxy`) and the encoder's options for it.
    static let proxyCases: [Case] = [
        Case(
            executable: "wavecast-encoder",
            arguments: ["--publish", "off"],
            says: "--publish off needs --bus-connect"
        ),
        Case(
            executable: "wavecast-encoder",
            arguments: ["--bus-connect", "proxy:5557"],
            says: "--bus-connect must be a ZeroMQ endpoint such as tcp://proxy:5557, not 'proxy:5557'"
        ),
        Case(
            executable: "wavecast-encoder",
            arguments: ["--bus-connect", "tcp://127.0.0.1:1", "--proxy-key-file", "/proc/sys/kernel/ostype"],
            says: "--proxy-key-file needs --bus-connect (the proxy) and --curve-key-file"
        ),
        Case(
            executable: "wavecast-encoder",
            arguments: [
                "--curve-key-file", "/proc/sys/kernel/ostype", "--feeder-keys", "/tmp", "--gateway-keys", "/tmp",
                "--bus-connect", "tcp://127.0.0.1:1",
            ],
            says: "with --bus-connect needs --proxy-key-file"
        ),
        Case(executable: "wavecast", arguments: ["--frontend", "5557"], says: "--frontend must be a ZeroMQ endpoint"),
        Case(
            executable: "wavecast",
            arguments: ["--encoder-keys", "/tmp"],
            says: "--gateway-keys and --encoder-keys need --curve-key-file"
        ),
        Case(
            executable: "wavecast",
            arguments: ["--curve-key-file", "/proc/sys/kernel/ostype"],
            says: "--curve-key-file needs --gateway-keys or --encoder-keys"
        ),
        Case(executable: "wavecast", arguments: ["--log-level", "loud"], says: "--log-level must be one of"),
    ]

    static let gatewayCases: [Case] = [
        Case(executable: "wavecast-gateway", arguments: ["--listen", "8080"], says: "--listen must be HOST:PORT"),
        Case(
            executable: "wavecast-gateway",
            arguments: ["--threads", "65"],
            says: "--threads must be 0 (one per core) or between 1 and 64, not 65"
        ),
        Case(
            executable: "wavecast-gateway",
            arguments: ["--request-timeout-ms", "0"],
            says: "--request-timeout-ms must be > 0"
        ),
        Case(
            executable: "wavecast-gateway",
            arguments: ["--unsubscribe-delay-ms=-1"],
            says: "--unsubscribe-delay-ms must be ≥ 0"
        ),
        Case(
            executable: "wavecast-gateway",
            arguments: ["--drain-ms=-1"],
            says: "--drain-ms must be between 0 (close every client at once) and 600000 (ten minutes), not -1"
        ),
        Case(
            executable: "wavecast-gateway",
            arguments: ["--drain-ms", "600001"],
            says: "--drain-ms must be between 0"
        ),
        Case(
            executable: "wavecast-gateway",
            arguments: [],
            environment: ["WAVECAST_DRAIN_MS": "5s"],
            says: "WAVECAST_DRAIN_MS='5s' is not a whole number"
        ),
        Case(
            executable: "wavecast-gateway",
            arguments: ["--bus-resolve-ms", "99"],
            says: "--bus-resolve-ms must be between 100 and 600000, not 99"
        ),
        Case(
            executable: "wavecast-gateway",
            arguments: ["--bus", "tcp://encoder.wavecast.svc"],
            says: "--bus 'tcp://encoder.wavecast.svc' is not tcp://HOST:PORT"
        ),
        Case(executable: "wavecast-gateway", arguments: ["--default-stream", "no spaces"], says: "--default-stream"),
        Case(
            executable: "wavecast-gateway",
            arguments: [],
            environment: ["WAVECAST_JITTER_MS": "soon"],
            says: "WAVECAST_JITTER_MS='soon' is not a whole number"
        ),
        Case(
            executable: "wavecast-gateway",
            arguments: ["--auth", "token"],
            says: "--auth token needs --token-secret-file"
        ),
        Case(executable: "wavecast-gateway", arguments: ["--auth", "maybe"], says: "--auth must be 'token' or 'off'"),
        Case(
            executable: "wavecast-gateway",
            arguments: ["--token-secret-file", "/nonexistent/secret"],
            says: "--token-secret-file /nonexistent/secret cannot be read"
        ),
        Case(
            executable: "wavecast-gateway",
            // "Linux\n" on every Linux: a readable file far shorter than a secret.
            arguments: ["--token-secret-file", "/proc/sys/kernel/ostype"],
            says: "it must be at least 32"
        ),
        Case(
            executable: "wavecast-gateway",
            arguments: ["--curve-key-file", "/nonexistent/gateway.key_secret"],
            says: "needs both --curve-key-file"
        ),
        Case(
            executable: "wavecast-gateway",
            arguments: ["--curve-key-file", "/proc/sys/kernel/ostype", "--server-key-file", "/proc/sys/kernel/ostype"],
            says: "cannot use the CURVE certificate /proc/sys/kernel/ostype"
        ),
        Case(
            executable: "wavecast-gateway",
            arguments: ["--max-connects-per-second=-1"],
            says: "--max-connects-per-second must be ≥ 0"
        ),
    ]

    /// Harmless endpoints first (the case's own options come later and win), so a command line that wrongly
    /// passed would bind nothing fixed before the timeout ends it.
    static let baseArguments = [
        "wavecast-encoder": EncoderProcess.defaultArguments,
        "wavecast-gateway": ["--listen", "127.0.0.1:0", "--bus", "tcp://127.0.0.1:1"],
        "wavecast": ["proxy", "--frontend", "tcp://127.0.0.1:*", "--backend", "tcp://127.0.0.1:*"],
    ]

    @Test(arguments: Self.encoderCases + Self.curveCases + Self.proxyCases + Self.gatewayCases)
    func aBadOptionIsRefusedByName(_ testCase: Case) throws {
        let result = try ExternalTool.run(
            BuiltProducts.path(testCase.executable),
            (Self.baseArguments[testCase.executable] ?? []) + testCase.arguments,
            environment: testCase.environment,
            timeout: .seconds(20)
        )
        #expect(result.status == 64, "exit status \(result.status); it said: \(result.stderr)")
        #expect(result.stderr.contains(testCase.says), "it said: \(result.stderr)")
    }
}
