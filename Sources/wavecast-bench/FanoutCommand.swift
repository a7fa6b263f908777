import ArgumentParser
import Foundation

/// `wavecast-bench fanout`: one fan-out measurement of a running WebSocket server (the gateway or the C
/// baseline) under `wavecast loadtest`.
///
/// Runs the load tool with N clients, and over a window inside its steady state (every client connected, from
/// 1 s after its ramp to 0.5 s before it stops) samples the server's CPU time (user and kernel) and memory from
/// /proc, its messages-sent counter from `/metrics`, the load tool's own CPU time and the whole machine's; then
/// prints the load tool's figures and those as one `fanout key=value …` line. Every wait is bounded.
struct FanoutCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fanout",
        abstract: "Measure a WebSocket server's CPU per message sent while `wavecast loadtest` listens to it."
    )

    @Option(help: "The server's process id, for its CPU time and memory in /proc.")
    var serverPid: Int32

    @Option(help: "The server's HTTP address, for /metrics (http://127.0.0.1:PORT).")
    var metrics: String

    @Option(help: "The Prometheus counter of messages the server sent.")
    var messagesMetric = "wavecast_gateway_messages_sent_total"

    @Option(help: "The Prometheus gauge of the server's connected clients.")
    var clientsMetric = "wavecast_gateway_connections"

    @Option(help: "The Prometheus counter of slow clients the server dropped.")
    var droppedMetric = "wavecast_gateway_slow_client_closes_total"

    @Option(help: "The WebSocket URL the clients listen to (`{n}` in it numbers the streams).")
    var url: String

    @Option(help: "How many clients.")
    var clients: Int

    @Option(help: "How many streams the clients spread over (the load tool's --streams).")
    var streams = 1

    @Option(help: "How long the load tool holds every client after its ramp, in seconds.")
    var seconds = 20

    @Option(help: "Connections the load tool opens per second.")
    var rampPerSecond = 1000

    @Option(help: "The `wavecast` executable that runs the load.")
    var wavecast: String

    @Option(help: "How long to wait for a quiet machine before starting, in seconds (0: do not wait).")
    var quietWait = 120.0

    @Option(help: "File holding a listener token every client presents (the load tool's --token-file).")
    var tokenFile: String?

    func validate() throws {
        guard (1...200_000).contains(self.clients) else {
            throw ValidationError("--clients must be between 1 and 200000, not \(self.clients)")
        }
        guard (1...3600).contains(self.seconds), self.rampPerSecond > 0, self.streams > 0 else {
            throw ValidationError("--seconds must be 1 to 3600, and --ramp-per-second and --streams positive")
        }
    }

    func run() throws {
        let scraper = try MetricsScraper(url: self.metrics)
        if self.quietWait > 0 {
            try MachineSample.waitForQuietSaying(limit: self.quietWait)
        }
        let idle = try ProcessSample(pid: self.serverPid)
        let rampSeconds = (self.clients + self.rampPerSecond - 1) / self.rampPerSecond
        let launched = SystemIO.monotonicNanoseconds()
        let loadTool = try LoadToolProcess(
            executable: self.wavecast,
            arguments: [
                "loadtest", self.url, "--clients", "\(self.clients)", "--streams", "\(self.streams)",
                "--seconds", "\(self.seconds)", "--ramp", "\(rampSeconds)", "--json",
            ] + (self.tokenFile.map { ["--token-file", $0] } ?? [])
        )
        // The server's window: from 1 s after the ramp with every client connected, to 0.5 s before the tool stops.
        let windowEnd = launched + Int64(rampSeconds + self.seconds) * 1_000_000_000 - 500_000_000
        SystemIO.sleep(seconds: Double(rampSeconds + 1))
        var connectedBeforeWindow = "-"
        while loadTool.isRunning {
            let connected = (try? scraper.fetch()).flatMap { metricValue(self.clientsMetric, in: $0) }
            connectedBeforeWindow = connected.map { String(Int($0)) } ?? "-"
            if let connected, Int(connected) >= self.clients { break }
            // Keep at least 2 s of window.
            if SystemIO.monotonicNanoseconds() + 2_000_000_000 >= windowEnd { break }
            SystemIO.sleep(seconds: 0.2)
        }
        let start = try WindowSample(server: self.serverPid, tool: loadTool.pid, scraper: scraper, command: self)
        SystemIO.sleep(seconds: max(1, Double(windowEnd - SystemIO.monotonicNanoseconds()) / 1e9))
        let end = try WindowSample(server: self.serverPid, tool: loadTool.pid, scraper: scraper, command: self)
        let loaded = try ProcessSample(pid: self.serverPid)
        let clientsAtEnd = end.clients.map { String(Int($0)) } ?? "-"
        let output = loadTool.wait(limit: Double(self.seconds + rampSeconds + 60))

        var fields: [(key: String, value: String)]
        do {
            fields = try LoadTestSummary(output: output.stdout).fields
        } catch {
            printError("\(error)\n\(output.stderr.suffix(1000))")
            fields = [("loadtest_error", "unreadable")]
        }
        fields += [("connected_window", connectedBeforeWindow), ("clients_end", clientsAtEnd)]
        fields += Self.figures(start: start, end: end, idle: idle, loaded: loaded, clients: self.clients)
        print("fanout " + fields.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
    }

    /// CPU per message, its user/kernel split, the tool's and the rest of the machine's CPU, memory per client.
    private static func figures(
        start: WindowSample,
        end: WindowSample,
        idle: ProcessSample,
        loaded: ProcessSample,
        clients: Int
    ) -> [(key: String, value: String)] {
        let wall = Double(end.time - start.time) / 1e9
        var figures: [(key: String, value: String)] = []
        if let m0 = start.messages, let m1 = end.messages, m1 > m0 {
            let messages = m1 - m0
            let cpu = end.server.cpuSeconds - start.server.cpuSeconds
            let user = end.server.userSeconds - start.server.userSeconds
            figures += [
                ("cpu_pct", EncodeRun.fixed(100 * cpu / wall, 1)),
                ("us_per_msg", EncodeRun.fixed(1e6 * cpu / messages, 2)),
                ("msgs_per_s", EncodeRun.fixed(messages / wall, 0)),
                ("us_user_per_msg", EncodeRun.fixed(1e6 * user / messages, 2)),
                ("us_kernel_per_msg", EncodeRun.fixed(1e6 * (cpu - user) / messages, 2)),
            ]
        } else {
            figures += [("cpu_pct", "-"), ("us_per_msg", "-"), ("msgs_per_s", "-")]
        }
        if let t0 = start.tool, let t1 = end.tool {
            let tool = t1.cpuSeconds - t0.cpuSeconds
            let machine = Double(end.machine.busyTicks - start.machine.busyTicks) / MachineSample.ticksPerSecond
            let server = end.server.cpuSeconds - start.server.cpuSeconds
            // Everything else the machine ran in the window (the encoder, other work), in % of one core.
            figures += [
                ("tool_cpu_pct", EncodeRun.fixed(100 * tool / wall, 1)),
                ("other_cpu_pct", EncodeRun.fixed(100 * (machine - server - tool) / wall, 0)),
            ]
        } else {
            figures += [("tool_cpu_pct", "-"), ("other_cpu_pct", "-")]
        }
        figures += [
            ("rss_mib", EncodeRun.fixed(Double(loaded.residentBytes) / 1_048_576, 1)),
            (
                "kib_per_client",
                EncodeRun.fixed(Double(loaded.residentBytes - idle.residentBytes) / 1024 / Double(clients), 2)
            ),
        ]
        if let d0 = start.dropped, let d1 = end.dropped {
            figures.append(("dropped", String(Int(d1 - d0))))
        } else {
            figures.append(("dropped", "-"))
        }
        return figures
    }
}

/// What the fan-out measurement reads at each end of its window.
private struct WindowSample {
    var time: Int64
    var server: ProcessSample
    var tool: ProcessSample?
    var machine: MachineSample
    var messages: Double?
    var dropped: Double?
    var clients: Double?

    init(server: Int32, tool: Int32, scraper: MetricsScraper, command: FanoutCommand) throws(BenchError) {
        self.time = SystemIO.monotonicNanoseconds()
        self.server = try ProcessSample(pid: server)
        self.tool = try? ProcessSample(pid: tool)
        self.machine = try MachineSample()
        let page = try? scraper.fetch()
        self.messages = page.flatMap { metricValue(command.messagesMetric, in: $0) }
        self.dropped = page.flatMap { metricValue(command.droppedMetric, in: $0) }
        self.clients = page.flatMap { metricValue(command.clientsMetric, in: $0) }
    }
}

/// `wavecast loadtest` as a child process whose output is drained on threads of its own.
private final class LoadToolProcess: @unchecked Sendable {
    // Thread safety: each of `stdoutData` and `stderrData` is written by its own draining thread only, and read
    // after `drained.wait()`, which orders those writes before the read.
    private let process = Process()
    private let stdout = Pipe()
    private let stderr = Pipe()
    private var stdoutData = Data()
    private var stderrData = Data()
    private let drained = DispatchGroup()

    init(executable: String, arguments: [String]) throws {
        self.process.executableURL = URL(fileURLWithPath: executable)
        self.process.arguments = arguments
        self.process.standardOutput = self.stdout
        self.process.standardError = self.stderr
        self.process.standardInput = FileHandle.nullDevice
        do {
            try self.process.run()
        } catch {
            throw BenchError("cannot start \(executable): \(error)")
        }
        for (pipe, isStdout) in [(self.stdout, true), (self.stderr, false)] {
            self.drained.enter()
            let handle = pipe.fileHandleForReading
            Thread.detachNewThread { [self] in
                let data = handle.readDataToEndOfFile()
                if isStdout { self.stdoutData = data } else { self.stderrData = data }
                self.drained.leave()
            }
        }
    }

    /// A measurement that failed half-way must not leave thousands of clients connected for the next one.
    deinit {
        if self.process.isRunning {
            kill(self.process.processIdentifier, SIGKILL)
            self.process.waitUntilExit()
        }
    }

    var pid: Int32 { self.process.processIdentifier }
    var isRunning: Bool { self.process.isRunning }

    /// Waits (at most `limit` seconds, then kills it) for the tool to finish; returns what it printed.
    func wait(limit: Double) -> (stdout: String, stderr: String) {
        let deadline = SystemIO.monotonicNanoseconds() + Int64(limit * 1e9)
        while self.process.isRunning && SystemIO.monotonicNanoseconds() < deadline { SystemIO.sleep(seconds: 0.05) }
        if self.process.isRunning { kill(self.process.processIdentifier, SIGKILL) }
        self.process.waitUntilExit()
        self.drained.wait()
        return (String(decoding: self.stdoutData, as: UTF8.self), String(decoding: self.stderrData, as: UTF8.self))
    }
}

/// Prints `message` to standard error, for a person watching the run.
func printError(_ message: String) {
    FileHandle.standardError.write(Data(("   (" + message + ")\n").utf8))
}
