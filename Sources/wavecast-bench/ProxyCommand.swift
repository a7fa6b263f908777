import ArgumentParser
import WavecastBench
import WavecastCore
import ZeroMQ

/// `wavecast-bench proxy`: what the bus proxy (`wavecast proxy`) costs: its CPU per message and the latency
/// its hop adds.
///
/// Needs an encoder that both binds its bus (`--publish`, which the bench reads direct) and publishes to the proxy
/// (`--bus-connect`). Plays `--streams` looping streams, then for `--seconds` stamps every chunk's arrival on two
/// SUB sockets, each on its own thread (one on the encoder, one on the proxy's backend), and samples the proxy's
/// CPU time. The proxy has one subscriber here, the bench, so every message it hands on is one the bench counts.
/// Every wait is bounded in time and every loop in count.
struct ProxyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy",
        abstract: "Measure the bus proxy's CPU per message and added latency against the same encoder read direct."
    )

    @Option(help: "The encoder's ingest endpoint (ROUTER).")
    var encoder = "tcp://127.0.0.1:5555"

    @Option(help: "The encoder's own bus endpoint (its --publish), read direct.")
    var bus = "tcp://127.0.0.1:5556"

    @Option(help: "The proxy's backend (its --backend), read through the proxy.")
    var proxyBus = "tcp://127.0.0.1:5558"

    @Option(help: "The proxy's process id, to read its CPU time from /proc.")
    var proxyPid: Int32

    @Option(help: "The WAV file every stream plays in a loop (short, 8 kHz mono).")
    var wav: String

    @Option(help: "How many streams to play at once (named p0, p1, …).")
    var streams = 1000

    @Option(help: "How long to measure, in seconds.")
    var seconds = 10.0

    @Option(help: "How long the streams play before the measurement starts, in seconds.")
    var warmup = 2.0

    @Option(help: "The longest wait for the play (and stop) replies, in seconds.")
    var setupTimeout = 120.0

    func validate() throws {
        guard (1...100_000).contains(self.streams) else {
            throw ValidationError("--streams must be between 1 and 100000, not \(self.streams)")
        }
        guard self.seconds > 0 && self.seconds <= 3600, self.warmup >= 0 && self.warmup <= 600 else {
            throw ValidationError("--seconds must be in (0, 3600] and --warmup in [0, 600]")
        }
        guard self.setupTimeout > 0 && self.setupTimeout <= 3600 else {
            throw ValidationError("--setup-timeout must be more than 0 and at most 3600")
        }
    }

    func run() throws {
        let wav = try SystemIO.readFile(self.wav)
        let context = try ZMQContext()
        let direct = BusArrivalThread(context: context, endpoint: self.bus, curve: nil)
        let proxied = BusArrivalThread(context: context, endpoint: self.proxyBus, curve: nil)
        try direct.waitUntilReady(seconds: 10)
        try proxied.waitUntilReady(seconds: 10)

        let dealer = try ZMQSocket(context: context, type: .dealer)
        try dealer.setSendHighWaterMark(0)
        try dealer.setReceiveHighWaterMark(0)
        try dealer.setSendTimeout(milliseconds: 30_000)
        try dealer.connect(self.encoder)
        defer { dealer.close() }
        for index in 0..<self.streams {
            let header: JSONObject = ["op": "play", "stream": .string("p\(index)"), "loop": true]
            try dealer.send([JSONValue.object(header).serializedBytes, wav])
        }
        let plays = try self.collectReplies(on: dealer)
        guard plays.ok > 0 else { throw BenchError("no play request succeeded (\(plays.summary))") }
        SystemIO.sleep(seconds: self.warmup)

        let before = try ProcessSample(pid: self.proxyPid)
        let windowStart = SystemIO.monotonicNanoseconds()
        SystemIO.sleep(seconds: self.seconds)
        let windowEnd = SystemIO.monotonicNanoseconds()
        let after = try ProcessSample(pid: self.proxyPid)
        // Messages still on their way through the proxy at the window's end come within milliseconds.
        SystemIO.sleep(seconds: 0.5)
        let directArrivals = try direct.finish()
        let proxiedArrivals = try proxied.finish()

        for index in 0..<self.streams {
            try dealer.send([JSONValue.object(["op": "stop", "stream": .string("p\(index)")]).serializedBytes])
        }
        let stops = try self.collectReplies(on: dealer)

        let window = windowStart..<windowEnd
        let hop = ProxyHop(direct: directArrivals.chunks, proxied: proxiedArrivals.chunks, window: window)
        let forwarded = proxiedArrivals.all.count { window.contains($0) }
        let seconds = Double(windowEnd - windowStart) / 1e9
        let cpu = after.cpuSeconds - before.cpuSeconds
        let user = after.userSeconds - before.userSeconds
        let perMessage = forwarded > 0 ? cpu / Double(forwarded) * 1e6 : 0
        let userPerMessage = forwarded > 0 ? user / Double(forwarded) * 1e6 : 0
        func milliseconds(_ nanoseconds: Int64?) -> String {
            nanoseconds.map { Formatting.fixed(Double($0) / 1e6, 3) } ?? "-"
        }
        print(
            """
            proxy: \(self.streams) looping streams (\(plays.summary)), \(Formatting.fixed(seconds, 2)) s window
              messages through the proxy: \(forwarded) (\(Formatting.fixed(Double(forwarded) / seconds, 0))/s)
              chunks direct: \(hop.direct), not through the proxy: \(hop.missing)
              added latency p50 / p99 / max: \(milliseconds(hop.addedNanoseconds(at: 0.5))) / \
            \(milliseconds(hop.addedNanoseconds(at: 0.99))) / \(milliseconds(hop.addedNanoseconds(at: 1))) ms
              proxy CPU: \(Formatting.fixed(cpu / seconds * 100, 1)) % of a core, \
            \(Formatting.fixed(perMessage, 2)) µs per message (user \(Formatting.fixed(userPerMessage, 2)))
              stops: \(stops.summary)
            """
        )
        let fields: [(String, String)] = [
            ("n", "\(self.streams)"),
            ("seconds", Formatting.fixed(seconds, 2)),
            ("messages", "\(forwarded)"),
            ("messages_per_s", Formatting.fixed(Double(forwarded) / seconds, 0)),
            ("chunks_direct", "\(hop.direct)"),
            ("missing", "\(hop.missing)"),
            ("added_p50_ms", milliseconds(hop.addedNanoseconds(at: 0.5))),
            ("added_p99_ms", milliseconds(hop.addedNanoseconds(at: 0.99))),
            ("added_max_ms", milliseconds(hop.addedNanoseconds(at: 1))),
            ("proxy_cpu_percent", Formatting.fixed(cpu / seconds * 100, 1)),
            ("proxy_us_per_message", Formatting.fixed(perMessage, 2)),
            ("proxy_user_us_per_message", Formatting.fixed(userPerMessage, 2)),
            ("proxy_rss_kb", "\(after.residentBytes / 1024)"),
        ]
        print("proxy " + fields.map { "\($0.0)=\($0.1)" }.joined(separator: " "))
    }

    /// Takes `--streams` replies from the dealer, or as many as come within `--setup-timeout`.
    private func collectReplies(on dealer: ZMQSocket) throws -> IngestReplies {
        var replies = IngestReplies()
        let deadline = SystemIO.monotonicNanoseconds() + Int64(self.setupTimeout * 1e9)
        // Bounded: each turn waits at most 100 ms, and the loop ends at the deadline.
        while replies.total < self.streams && SystemIO.monotonicNanoseconds() < deadline {
            guard try dealer.waitReadable(timeoutMilliseconds: 100) else { continue }
            while replies.total < self.streams, let frames = try dealer.receive(dontWait: true) {
                replies.record(frames)
            }
        }
        return replies
    }
}
