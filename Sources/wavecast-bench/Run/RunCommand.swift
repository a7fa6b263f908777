import ArgumentParser
import Foundation
import WavecastBench

/// `wavecast-bench run`: every section of the benchmark, as scripts/bench runs it (scripts/bench builds the release
/// binaries first, then execs this).
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Measure Wavecast and print the figures as Markdown tables (what scripts/bench runs).",
        discussion: """
            Never asserts a figure (docs/BENCHMARKS.md has a run). Makes its inputs in a temporary directory \
            (espeak-ng, sox), runs every service on 127.0.0.1 with free ports, and stops every process it started \
            when it ends, fails or is interrupted. Exits 0 unless a tool is missing or an input cannot be made; a \
            failed measurement is reported in its table and the run goes on. Expects the release binaries \
            (wavecast-encoder, wavecast-gateway, wavecast) beside this executable: run it through scripts/bench.

            Environment:
              WAVECAST_BENCH_SHAPES="1000x2 4000x1"  streams × listeners of the shapes section
              WAVECAST_BENCH_IDLE_STREAMS="1000 5000"  idle stream counts (shapes section)
              WAVECAST_BENCH_LIVE_STREAMS="300 1000"  live stream counts (--shapes-only)
              WAVECAST_BENCH_SECTIONS="section_shapes"  only the sections named: section_encode_speed, \
            section_encoder_streams, section_gateway_fanout (once per WAVECAST_BENCH_CHUNK_FRAMES), \
            section_gateway_latency, section_security, section_shapes, section_tier, section_encoder_live, and \
            section_proxy (the bus proxy; only when named here)
              WAVECAST_BENCH_STREAM_COUNTS="8000 16000"  stream counts of the encoder section
              WAVECAST_BENCH_CLIENT_COUNTS="12500 15000"  client counts of the gateway sections
              WAVECAST_BENCH_SECURITY_LISTENERS=5000  listeners of one stream (security section; quick 1000)
              WAVECAST_BENCH_SECURITY_STREAMS=4000  streams one bus subscriber reads, CURVE off / on (quick 500)
              WAVECAST_BENCH_SECURITY_GATEWAY_STREAMS=1000  streams × 1 listener on the gateway, CURVE off / on \
            (quick 250)
              WAVECAST_BENCH_SECURITY_HANDSHAKES=5000  sequential WebSocket handshakes per token setting (quick 1000)
              WAVECAST_BENCH_PROXY_STREAMS="1000 4000"  streams read direct and through the proxy (quick 250)
              WAVECAST_BENCH_CHUNK_FRAMES=4  fan-out at these frames per chunk only (default "1 4")
              WAVECAST_BENCH_GATEWAY_OPTIONS="--threads 1"  gateway options for the fan-out and the shapes
              WAVECAST_BENCH_SERVERS=gateway  fan-out against the gateway only (or `baseline` only)
              WAVECAST_BENCH_GATEWAY_BINARY=/tmp/gateway-before  another wavecast-gateway build, to compare two
              WAVECAST_BENCH_LATENCY=0  --gateway-only without the end-to-end latency section
              WAVECAST_BENCH_ROUNDS=3  each client count R times, alternating the servers; a count holds when it \
            held in most rounds (single runs at the machine's edge differ by several ms)
              WAVECAST_BENCH_QUIET_WAIT_S=30  wait at most this long for a quiet machine before each run (120)
            """
    )

    @Flag(help: "Only the encoder: encoding speed, then concurrent real-time streams.")
    var encoderOnly = false

    @Flag(
        help: """
            Only the gateway: fan-out to N WebSocket clients against the C baseline (Benchmarks/baseline), at 1 and \
            4 frames per chunk, the end-to-end latency from `pcm` into the encoder to a client, and what CURVE and \
            listener tokens cost (section_security).
            """
    )
    var gatewayOnly = false

    @Flag(
        help: """
            Only the stream shapes: S streams × L listeners each on one gateway against the C baseline serving S \
            streams, idle streams, gateways behind HAProxy, and live PCM.
            """
    )
    var shapesOnly = false

    @Flag(help: "Smaller sizes and shorter windows, for a smoke run.")
    var quick = false

    @Option(help: "The repository's root, for Benchmarks/baseline/baseline.c.")
    var repository = "."

    /// Reads the settings, checks the tools, describes the machine, makes the inputs, runs each section, and stops
    /// every process it started however it ends.
    func run() throws {
        let settings: BenchSettings
        do {
            settings = try BenchSettings(
                encoderOnly: self.encoderOnly,
                gatewayOnly: self.gatewayOnly,
                shapesOnly: self.shapesOnly,
                quick: self.quick,
                environment: ProcessInfo.processInfo.environment
            )
        } catch {
            throw ValidationError(error.description)
        }
        var tools = ["espeak-ng", "sox", "soxi"]
        if settings.sections.contains(.encodeSpeed) { tools.append("ffmpeg") }
        if settings.usesGateway { tools.append("cc") }
        do {
            try Tools.require(tools)
        } catch {
            Report.warn("wavecast-bench run: \(error)")
            throw ExitCode.failure
        }
        let run = try BenchRun(settings: settings)
        let work = run.work
        let signals = ChildRegistry.install { try? FileManager.default.removeItem(atPath: work) }
        defer {
            ChildRegistry.stopAll()
            run.removeWork()
            for source in signals { source.cancel() }
        }
        do {
            run.describeMachine()
            if settings.usesGateway { try run.buildBaseline(repository: self.repository) }
            try run.makeInputs()
        } catch {
            Report.warn("wavecast-bench run: \(error)")
            throw ExitCode.failure
        }
        for section in settings.sections {
            switch section {
            case .encodeSpeed: EncodeSpeedSection(run: run).measure()
            case .encoderStreams: EncoderStreamsSection(run: run).measure()
            case .gatewayFanout(let chunkFrames): GatewayFanoutSection(run: run, chunkFrames: chunkFrames).measure()
            case .gatewayLatency: GatewayLatencySection(run: run).measure()
            case .shapes: ShapesSection(run: run).measure()
            case .tier: TierSection(run: run).measure()
            case .encoderLive: EncoderLiveSection(run: run).measure()
            case .security: SecuritySection(run: run).measure()
            case .proxy: ProxySection(run: run).measure()
            }
        }
        Report.step("Done")
    }
}
