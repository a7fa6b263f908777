import ArgumentParser
import WavecastCore
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

/// `wavecast-bench streams`: how many looping streams a running encoder publishes on time.
///
/// Subscribes to the whole bus, starts `--streams` looping `play` requests over one pipelined DEALER,
/// then for `--seconds` measures each chunk's arrival against its stream's own media clock (first
/// arrival plus timestamp), the encoder's own publication-lateness histogram, and its CPU and memory.
/// Every wait is bounded in time and every loop in count.
struct StreamsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "streams",
        abstract: "Play N looping streams on a running encoder and measure real-time publication for S seconds."
    )

    @Option(help: "The encoder's ingest endpoint (ROUTER).")
    var encoder = "tcp://127.0.0.1:5555"

    @Option(help: "The encoder's bus endpoint (PUB).")
    var bus = "tcp://127.0.0.1:5556"

    @Option(help: "The encoder's HTTP server, for /metrics.")
    var http = "http://127.0.0.1:9091"

    @Option(help: "The WAV file every stream plays in a loop (short, 8 kHz mono is what the service expects).")
    var wav: String

    @Option(help: "How many streams to play at once (named s0, s1, …).")
    var streams = 100

    @Option(help: "How long to measure, in seconds.")
    var seconds = 10.0

    @Option(help: "The encoder's process id, to read its CPU time and memory from /proc.")
    var encoderPid: Int32?

    @Option(help: "The longest wait for the play (and stop) replies, in seconds.")
    var setupTimeout = 120.0

    @Option(help: "The bench's secret CURVE certificate, for an encoder with CURVE (its ingest and its bus).")
    var curveKeyFile: String?

    @Option(help: "The encoder's public CURVE certificate, with --curve-key-file.")
    var serverKeyFile: String?

    func validate() throws {
        guard (1...100_000).contains(self.streams) else {
            throw ValidationError("--streams must be between 1 and 100000, not \(self.streams)")
        }
        guard self.seconds > 0 && self.seconds <= 3600 else {
            throw ValidationError("--seconds must be more than 0 and at most 3600, not \(self.seconds)")
        }
        guard self.setupTimeout > 0 && self.setupTimeout <= 3600 else {
            throw ValidationError("--setup-timeout must be more than 0 and at most 3600")
        }
    }

    func run() throws {
        let wav = try SystemIO.readFile(self.wav)
        let scraper = try MetricsScraper(url: self.http)
        let curve = try BenchCurve.keys(secretFile: self.curveKeyFile, serverFile: self.serverKeyFile)
        let context = try ZMQContext()
        let subscriber = try ZMQSocket(context: context, type: .subscriber)
        if let curve { try subscriber.makeCurveClient(curve) }
        // High-water marks of 0 mean no limit: the bench never drops or blocks.
        try subscriber.setReceiveHighWaterMark(0)
        try subscriber.connect(self.bus)
        try subscriber.subscribe()
        try Self.waitForHeartbeat(on: subscriber, seconds: 10)

        let dealer = try ZMQSocket(context: context, type: .dealer)
        if let curve { try dealer.makeCurveClient(curve) }
        try dealer.setSendHighWaterMark(0)
        try dealer.setReceiveHighWaterMark(0)
        try dealer.setSendTimeout(milliseconds: 30_000)
        try dealer.connect(self.encoder)

        var session = BusSession(subscriber: subscriber, dealer: dealer, tracker: ArrivalTracker(streams: self.streams))
        let setupStart = SystemIO.monotonicNanoseconds()
        for index in 0..<self.streams {
            let header: JSONObject = [
                "op": "play", "stream": .string("s\(index)"), "loop": true, "id": .number(Double(index)),
            ]
            try dealer.send([JSONValue.object(header).serializedBytes, wav])
        }
        let plays = try session.collectReplies(
            self.streams,
            deadline: setupStart + Self.nanoseconds(self.setupTimeout)
        )
        let setupSeconds = Double(SystemIO.monotonicNanoseconds() - setupStart) / 1e9
        guard plays.ok > 0 else {
            throw BenchError("no play request succeeded (\(plays.summary))")
        }

        let metricsBefore = try scraper.fetch()
        let processBefore = try self.encoderPid.map { (pid) throws(BenchError) in try ProcessSample(pid: pid) }
        let benchBefore = try ProcessSample(pid: getpid())
        let windowStart = SystemIO.monotonicNanoseconds()
        session.tracker.measuring = true
        try session.pump(until: windowStart + Self.nanoseconds(self.seconds))
        session.tracker.measuring = false
        let windowSeconds = Double(SystemIO.monotonicNanoseconds() - windowStart) / 1e9
        let processAfter = try self.encoderPid.map { (pid) throws(BenchError) in try ProcessSample(pid: pid) }
        let benchAfter = try ProcessSample(pid: getpid())
        let metricsAfter = try scraper.fetch()

        let stopStart = SystemIO.monotonicNanoseconds()
        for index in 0..<self.streams {
            let header: JSONObject = ["op": "stop", "stream": .string("s\(index)"), "id": .number(Double(index))]
            try dealer.send([JSONValue.object(header).serializedBytes])
        }
        let stops = try session.collectReplies(
            self.streams,
            deadline: stopStart + Self.nanoseconds(self.setupTimeout)
        )

        let histogramName = "wavecast_encoder_publication_lateness_seconds"
        let publication = HistogramSnapshot(name: histogramName, in: metricsAfter)
            .subtracting(HistogramSnapshot(name: histogramName, in: metricsBefore))
        var cpuPercent: Double?
        if let processBefore, let processAfter {
            cpuPercent = (processAfter.cpuSeconds - processBefore.cpuSeconds) / windowSeconds * 100
        }
        let report = StreamsReport(
            streams: self.streams,
            windowSeconds: windowSeconds,
            setupSeconds: setupSeconds,
            plays: plays,
            stops: stops,
            tracker: session.tracker,
            publication: publication,
            cpuPercent: cpuPercent,
            benchCPUPercent: (benchAfter.cpuSeconds - benchBefore.cpuSeconds) / windowSeconds * 100,
            process: processAfter
        )
        report.printReadable()
        print(report.resultLine)
    }

    /// Waits until a heartbeat arrives, so the subscription is known to be in place (no slow-joiner loss).
    ///
    /// - Throws: ``BenchError`` if none comes within `seconds`.
    private static func waitForHeartbeat(on subscriber: ZMQSocket, seconds: Double) throws {
        let deadline = SystemIO.monotonicNanoseconds() + Self.nanoseconds(seconds)
        // Bounded: each turn waits at most 100 ms, and ends at the deadline.
        while SystemIO.monotonicNanoseconds() < deadline {
            guard try subscriber.waitReadable(timeoutMilliseconds: 100) else { continue }
            while let frames = try subscriber.receive(dontWait: true) {
                if frames.count == 3, let header = try? BusHeader(decoding: frames[1]), header.kind == .heartbeat {
                    return
                }
            }
        }
        throw BenchError("no heartbeat on the bus within \(Int(seconds)) s; is the encoder publishing there?")
    }

    private static func nanoseconds(_ seconds: Double) -> Int64 { Int64(seconds * 1e9) }
}
