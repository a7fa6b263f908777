import ArgumentParser
import WavecastCore
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

/// `wavecast-bench live`: N live streams fed small `pcm` pieces at telephony cadence, against a running encoder.
///
/// Opens `--streams` live streams, then for `--seconds` sends each one `--piece-ms` of 8 kHz mono s16le every
/// `--piece-ms` on absolute deadlines (the pieces follow on from each other: each stream is the same continuous tone
/// the file path's WAV holds, so LAME has the same work in both), the streams spread evenly over the interval (sent
/// one by one as each falls due, or in rounds every `--round-us`, as a bridge on a 1 ms clock would), over
/// `--dealers` pipelined DEALER sockets (a feeder that is not the limit: one thread, no per-request allocation beyond
/// the frames). It reports requests sent and answered, the encoder's CPU per request and per second of audio, its
/// publication lateness over the window, and its own CPU. Every wait is bounded in time and every loop in count.
struct LiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "live",
        abstract: "Feed N live streams small PCM pieces in real time on a running encoder and measure its cost."
    )

    @Option(help: "The encoder's ingest endpoint (ROUTER).")
    var encoder = "tcp://127.0.0.1:5555"

    @Option(help: "The encoder's HTTP server, for /metrics.")
    var http = "http://127.0.0.1:9091"

    @Option(help: "How many live streams (named live0, live1, …).")
    var streams = 100

    @Option(help: "Milliseconds of audio per pcm request.")
    var pieceMs = 20

    @Option(help: "DEALER sockets the requests are spread over.")
    var dealers = 4

    @Option(help: "How long to feed, in seconds (measured from 1 s in).")
    var seconds = 10.0

    @Option(help: "The encoder's process id, to read its CPU time from /proc.")
    var encoderPid: Int32?

    @Option(help: "Which pcm requests the encoder answers: all, or errors (the open field replies).")
    var replies = "all"

    @Option(
        help: """
            Microseconds the feeder lets pass between sending rounds: each round sends every piece due by then \
            (0: each piece as soon as it is due, one at a time).
            """
    )
    var roundUs = 0

    func validate() throws {
        guard (1...100_000).contains(self.streams) else { throw ValidationError("--streams must be 1…100000") }
        guard (5...1000).contains(self.pieceMs) else { throw ValidationError("--piece-ms must be 5…1000") }
        guard (1...64).contains(self.dealers) else { throw ValidationError("--dealers must be 1…64") }
        guard self.seconds > 1 && self.seconds <= 3600 else { throw ValidationError("--seconds must be 1…3600") }
        guard (0...100_000).contains(self.roundUs) else { throw ValidationError("--round-us must be 0…100000") }
        guard PCMReplies(rawValue: self.replies) != nil else {
            throw ValidationError("--replies must be all or errors")
        }
    }

    func run() throws {
        let scraper = try MetricsScraper(url: self.http)
        let context = try ZMQContext()
        var sockets: [ZMQSocket] = []
        for _ in 0..<self.dealers {
            let dealer = try ZMQSocket(context: context, type: .dealer)
            try dealer.setSendHighWaterMark(0)
            try dealer.setReceiveHighWaterMark(0)
            try dealer.connect(self.encoder)
            sockets.append(dealer)
        }
        var replies = LiveReplies()
        let names = (0..<self.streams).map { "live\($0)" }
        for (index, name) in names.enumerated() {
            let header: JSONObject = [
                "op": "open", "stream": .string(name), "sample_rate": 8000, "channels": 1,
                "replies": .string(self.replies),
            ]
            try sockets[index % self.dealers].send([JSONValue.object(header).serializedBytes])
        }
        try Self.drain(sockets, into: &replies, until: { $0.total >= self.streams }, seconds: 30)
        guard replies.ok == self.streams else {
            throw BenchError("\(replies.ok) of \(self.streams) streams opened: \(replies.errors)")
        }
        replies = LiveReplies()

        let pieces = Self.tonePieces(samplesPerPiece: 8 * self.pieceMs)
        let headers = names.map { JSONValue.object(["op": "pcm", "stream": .string($0)]).serializedBytes }
        let interval = Int64(self.pieceMs) * 1_000_000
        let start = SystemIO.monotonicNanoseconds() + 10_000_000
        let warmUpEnd = start + 1_000_000_000
        let end = warmUpEnd + Int64(self.seconds * 1e9)
        var sent = 0
        var sentInWindow = 0
        var next = 0  // the next (tick × streams + stream) to send
        var metricsBefore: String?
        var processBefore: ProcessSample?
        var feederBefore: ProcessSample?
        var windowStart: Int64 = 0
        while true {
            let now = SystemIO.monotonicNanoseconds()
            if metricsBefore == nil && now >= warmUpEnd {
                metricsBefore = try scraper.fetch()
                processBefore = try self.encoderPid.map { (pid) throws(BenchError) in try ProcessSample(pid: pid) }
                feederBefore = try ProcessSample(pid: getpid())
                windowStart = now
                sentInWindow = 0
            }
            if now >= end { break }
            // Every piece due by now: stream s of tick k is due at start + k × interval + s × interval / streams.
            while true {
                let tick = Int64(next / self.streams)
                let stream = next % self.streams
                let due = start + tick * interval + Int64(stream) * interval / Int64(self.streams)
                guard due <= now else { break }
                let piece = pieces[Int(tick % Int64(pieces.count))]
                try sockets[stream % self.dealers].send([headers[stream], piece], dontWait: false)
                next += 1
                sent += 1
                sentInWindow += 1
            }
            try Self.drain(sockets, into: &replies, until: { _ in true }, seconds: 0)
            let tick = Int64(next / self.streams)
            let due = start + tick * interval + Int64(next % self.streams) * interval / Int64(self.streams)
            // With rounds, the pieces that fall due meanwhile wait for the next round and go out together.
            let wakeAt = max(min(due, end), now + Int64(self.roundUs) * 1000)
            let wait = max(0, wakeAt - SystemIO.monotonicNanoseconds())
            if wait > 0 {
                var pause = timespec(tv_sec: Int(wait / 1_000_000_000), tv_nsec: Int(wait % 1_000_000_000))
                nanosleep(&pause, nil)
            }
        }
        let windowSeconds = Double(SystemIO.monotonicNanoseconds() - windowStart) / 1e9
        let processAfter = try self.encoderPid.map { (pid) throws(BenchError) in try ProcessSample(pid: pid) }
        let feederAfter = try ProcessSample(pid: getpid())
        let metricsAfter = try scraper.fetch()
        let expected = self.replies == "all" ? sent : replies.total
        try Self.drain(sockets, into: &replies, until: { $0.total >= expected }, seconds: 10)
        for (index, name) in names.enumerated() {
            let header: JSONObject = ["op": "stop", "stream": .string(name)]
            try sockets[index % self.dealers].send([JSONValue.object(header).serializedBytes])
        }
        var stops = LiveReplies()
        try Self.drain(sockets, into: &stops, until: { $0.total >= self.streams }, seconds: 30)

        let histogramName = "wavecast_encoder_publication_lateness_seconds"
        let publication = HistogramSnapshot(name: histogramName, in: metricsAfter)
            .subtracting(HistogramSnapshot(name: histogramName, in: metricsBefore ?? metricsAfter))
        var fields: [(String, String)] = [
            ("streams", "\(self.streams)"), ("piece_ms", "\(self.pieceMs)"), ("replies", self.replies),
            ("round_us", "\(self.roundUs)"),
            ("requests_per_s", Self.fixed(Double(sentInWindow) / windowSeconds, 0)),
            ("sent", "\(sent)"), ("answered_ok", "\(replies.ok)"), ("errors", "\(replies.total - replies.ok)"),
            ("pub_p99_le_ms", publication.bucketBound(at: 0.99).map { Self.fixed($0 * 1000, 1) } ?? "-"),
            ("pub_chunks", "\(Int(publication.total))"),
        ]
        // Whether encoding kept up with real time in the window: a saturated machine falls behind, and its
        // publication lateness does not show it (a live stream that runs dry starts again from now).
        let audioSeconds = Double(sentInWindow) * Double(self.pieceMs) / 1000
        let encodedName = "wavecast_encoder_encoded_audio_seconds_total"
        if let encodedAfter = metricValue(encodedName, in: metricsAfter),
            let encodedBefore = metricValue(encodedName, in: metricsBefore ?? metricsAfter)
        {
            let encoded = (encodedAfter - encodedBefore) / max(audioSeconds, 1e-9)
            fields.append(("encoded_pct", Self.fixed(encoded * 100, 1)))
        }
        if let feederBefore {
            // The feeder's own CPU (its thread and ZeroMQ's I/O thread), to show it is not the limit.
            let cpu = feederAfter.cpuSeconds - feederBefore.cpuSeconds
            fields.append(("feeder_cpu_pct", Self.fixed(cpu / windowSeconds * 100, 1)))
        }
        if let processBefore, let processAfter {
            let cpu = processAfter.cpuSeconds - processBefore.cpuSeconds
            fields += [
                ("cpu_pct", Self.fixed(cpu / windowSeconds * 100, 1)),
                ("us_per_request", Self.fixed(cpu / Double(max(1, sentInWindow)) * 1e6, 2)),
                ("ms_per_audio_s", Self.fixed(cpu / audioSeconds * 1000, 3)),
            ]
        }
        if !replies.errors.isEmpty {
            print("errors: \(replies.errors.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" })")
        }
        if let pid = self.encoderPid {
            let file = try self.measureFilePath(sockets: sockets, scraper: scraper, pid: pid)
            fields.append(("file_ms_per_audio_s", file))
        }
        print("live " + fields.map { "\($0.0)=\($0.1)" }.joined(separator: " "))
    }

    /// The same audio through the file path, for comparison: the encoder's CPU, from sending
    /// `--streams` plays of a 10 s tone until every one has played out, per second of audio.
    private func measureFilePath(sockets: [ZMQSocket], scraper: MetricsScraper, pid: Int32) throws -> String {
        let seconds = 10
        let samples = (0..<(8000 * seconds)).map(Self.tone)
        let wav = WAVBuilder(format: WAVFormat(encoding: .signedPCM16, sampleRate: 8000, channels: 1))
            .build(samples: samples)
        let before = try ProcessSample(pid: pid)
        for index in 0..<self.streams {
            let header: JSONObject = ["op": "play", "stream": .string("file\(index)")]
            try sockets[index % self.dealers].send([JSONValue.object(header).serializedBytes, wav])
        }
        var replies = LiveReplies()
        try Self.drain(sockets, into: &replies, until: { $0.total >= self.streams }, seconds: 120)
        // Bounded: at most the audio's length plus a minute, polling the encoder's stream count.
        let deadline = SystemIO.monotonicNanoseconds() + Int64(seconds + 60) * 1_000_000_000
        while SystemIO.monotonicNanoseconds() < deadline {
            if let streams = metricValue("wavecast_encoder_streams", in: try scraper.fetch()), streams == 0 { break }
            var pause = timespec(tv_sec: 0, tv_nsec: 100_000_000)
            nanosleep(&pause, nil)
        }
        let after = try ProcessSample(pid: pid)
        guard replies.ok == self.streams else { return "-" }
        return Self.fixed((after.cpuSeconds - before.cpuSeconds) / Double(self.streams * seconds) * 1000, 3)
    }

    /// Sample `index` of the tone both paths encode: 440 Hz at a quarter of full scale, 8 kHz.
    static func tone(_ index: Int) -> Float {
        Float(0.25 * sin(2 * Double.pi * 440 * Double(index) / 8000))
    }

    /// The tone as s16le pieces of `samplesPerPiece` that follow on from each other: piece k of a stream is
    /// `pieces[k % pieces.count]`. 440 Hz at 8 kHz repeats every 200 samples, so a few pieces make it endless,
    /// and every request sends bytes made once. (The same piece over and over, as before, cut the tone every
    /// piece: a click each 20 ms, which cost LAME half as much again as the continuous tone of the file path.)
    static func tonePieces(samplesPerPiece: Int) -> [[UInt8]] {
        let period = 200
        var common = samplesPerPiece
        var other = period
        while other != 0 { (common, other) = (other, common % other) }
        let count = period / common
        return (0..<count).map { piece in
            let start = piece * samplesPerPiece
            return WAVBuilder.encode((start..<(start + samplesPerPiece)).map(Self.tone), as: .signedPCM16)
        }
    }

    /// Reads replies from every socket until `done` says so or `seconds` pass (0: only what is there now).
    private static func drain(
        _ sockets: [ZMQSocket],
        into replies: inout LiveReplies,
        until done: (LiveReplies) -> Bool,
        seconds: Double
    ) throws {
        let deadline = SystemIO.monotonicNanoseconds() + Int64(seconds * 1e9)
        repeat {
            var got = false
            for socket in sockets {
                // Bounded per turn, so sending is not starved.
                for _ in 0..<4096 {
                    guard let frames = try socket.receive(dontWait: true), let last = frames.last else { break }
                    replies.record(last)
                    got = true
                }
            }
            if done(replies) { return }
            if !got && seconds > 0 {
                var pause = timespec(tv_sec: 0, tv_nsec: 1_000_000)
                nanosleep(&pause, nil)
            }
        } while SystemIO.monotonicNanoseconds() < deadline
    }

    private static func fixed(_ value: Double, _ digits: Int) -> String { EncodeRun.fixed(value, digits) }
}

/// Replies to the live feeder's requests, by outcome.
struct LiveReplies {
    var ok = 0
    var total = 0
    var errors: [String: Int] = [:]

    mutating func record(_ reply: [UInt8]) {
        self.total += 1
        // `{"ok":true` starts every success; anything else is an error reply, counted by its code.
        if reply.starts(with: Array(#"{"ok":true"#.utf8)) {
            self.ok += 1
        } else if case .object(let object) = try? JSONValue.parse(reply), case .string(let code) = object["error"] {
            self.errors[code, default: 0] += 1
        } else {
            self.errors["unreadable", default: 0] += 1
        }
    }
}
