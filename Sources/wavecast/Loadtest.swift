import ArgumentParser
import WavecastClient

/// `wavecast loadtest`: many WebSocket clients of one gateway stream, measured.
struct Loadtest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loadtest",
        abstract: "Hold many WebSocket connections to a gateway stream and measure what they receive.",
        discussion: """
            Opens --clients connections spread evenly over --ramp seconds, holds them --seconds more, \
            closes them, and prints connects and failures, time to first chunk, messages, lateness \
            against each client's media clock (p50/p99/max, recorded from 1 s after the ramp ends), \
            missing and duplicate sequence numbers summed over clients, server closes by code, and \
            this process's own CPU. It stops by itself after ramp + seconds + a short grace.
            """
    )

    @Argument(help: "The stream's address: ws://HOST:PORT/ws/ID (with --streams: ws://HOST:PORT/ws/PREFIX{n}).")
    var url: String

    @OptionGroup(title: "Authentication (a gateway with --token-secret-file)")
    var token: TokenOption

    @Option(help: "How many connections to open.")
    var clients = 100

    @Option(
        help: "Spread the clients over N streams: client i listens to stream i % N ({n} in the URL, zero-padded)."
    )
    var streams = 1

    @Option(help: "How long to hold them after the ramp, in seconds.")
    var seconds = 10.0

    @Option(help: "Spread the connects over this many seconds.")
    var ramp = 1.0

    @Option(help: "Event loop threads (default: one per core).")
    var threads: Int?

    @Option(help: "At most this many connects in flight at once.")
    var maxConnecting = 256

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        do {
            _ = try WebSocketURL(parsing: self.url)
        } catch {
            throw ValidationError("\(error)")
        }
        guard self.clients > 0 else { throw ValidationError("--clients must be positive") }
        guard self.streams > 0 else { throw ValidationError("--streams must be positive") }
        if self.streams > 1 && !self.url.contains(LoadTestConfiguration.streamPlaceholder) {
            throw ValidationError(
                "--streams \(self.streams) needs '{n}' in the URL where the stream's number goes, "
                    + "e.g. ws://127.0.0.1:8080/ws/call-{n}"
            )
        }
        guard self.seconds > 0 else { throw ValidationError("--seconds must be positive") }
        guard self.ramp >= 0 else { throw ValidationError("--ramp must not be negative") }
        if let threads = self.threads, threads < 1 { throw ValidationError("--threads must be positive") }
        guard self.maxConnecting > 0 else { throw ValidationError("--max-connecting must be positive") }
    }

    func run() throws {
        let configuration = LoadTestConfiguration(
            url: try WebSocketURL(parsing: try self.token.apply(to: self.url)),
            clients: self.clients,
            streams: self.streams,
            seconds: self.seconds,
            rampSeconds: self.ramp,
            threads: self.threads ?? LoadTestConfiguration.defaultThreads,
            maxConnecting: self.maxConnecting
        )
        let report = try LoadTest.run(configuration) { printError($0) }
        if report.fileLimit < self.clients + 16 {
            printError("warning: the open-file limit is \(report.fileLimit): raise the hard limit (ulimit -Hn)")
        }
        print(self.json ? report.json : report.text)
    }
}
