import ArgumentParser
import WavecastCore
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

/// `wavecast tap`: subscribes to the bus and writes one stream's MP3 as it is published.
struct Tap: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Subscribe to an encoder's bus and write one stream's MP3 to a file.",
        discussion: "Stops at the stream's end, after --seconds, or on Ctrl-C. The file plays in any player."
    )

    @Option(help: "The stream id to record.")
    var stream: String

    @Option(help: "The encoder's bus endpoint.")
    var bus = "tcp://127.0.0.1:5556"

    @Option(help: "Where to write the MP3 ('-' for standard output). Default: STREAM.mp3")
    var out: String?

    @Option(help: "Stop after this many seconds even if the stream goes on.")
    var seconds: Double?

    @OptionGroup(title: "CURVE (an encoder with --gateway-keys)")
    var curve: CurveOptions

    func validate() throws {
        do {
            _ = try StreamID(self.stream)
        } catch {
            throw ValidationError("--stream: \(error)")
        }
        if let seconds = self.seconds, seconds <= 0 {
            throw ValidationError("--seconds must be positive")
        }
    }

    func run() throws {
        let context = try ZMQContext()
        let socket = try ZMQSocket(context: context, type: .subscriber)
        try self.curve.apply(to: socket)
        try socket.subscribe(Array(self.stream.utf8))
        // Heartbeats, on the control topic, show the encoder is there.
        try socket.subscribe(BusMessage.controlTopic)
        try socket.connect(self.bus)
        let path = self.out ?? "\(self.stream).mp3"
        let output = try FileWriter(path: path)
        var summary = TapSummary()
        let start = MonotonicTime.now()
        let limit = self.seconds.map { UInt64($0 * 1e9) }
        printError("tapping '\(self.stream)' on \(self.bus) into \(path)")
        while true {
            let elapsed = UInt64(max(0, MonotonicTime.now().nanoseconds(since: start)))
            if let limit, elapsed >= limit { break }
            let wait = limit.map { Int(($0 - elapsed) / 1_000_000) + 1 } ?? 1000
            guard try socket.waitReadable(timeoutMilliseconds: min(wait, 1000)),
                let frames = try socket.receive(dontWait: true)
            else {
                if summary.heartbeats == 0 && elapsed > 3_000_000_000 && summary.chunks == 0 {
                    printError("no heartbeat from \(self.bus) yet: is the encoder running there?")
                    summary.heartbeats = -1
                }
                continue
            }
            let message: BusMessage
            do {
                message = try BusMessage(frames: frames)
            } catch {
                summary.invalid += 1
                printError("skipped an invalid bus message: \(error)")
                continue
            }
            if message.header.kind == .catalogue {
                continue
            }
            if message.header.kind == .heartbeat {
                if summary.heartbeats <= 0 {
                    // From here on the subscription is live: nothing the encoder publishes is missed.
                    printError("connected: the encoder's heartbeat arrived")
                }
                summary.heartbeats = max(summary.heartbeats, 0) + 1
                continue
            }
            // SUB filters by prefix: "demo" also matches "demo2".
            guard message.streamID == self.stream else { continue }
            switch message.header.kind {
            case .start:
                printError("start: \(message.header.sampleRate) Hz, \(message.header.bitrate) kbit/s")
            case .chunk:
                try output.write(message.payload)
                summary.record(message.header, bytes: message.payload.count)
            case .end:
                printError("end\(message.header.isStopped ? " (stopped)" : "") after \(message.header.sequence) chunks")
                printError(summary.line)
                return
            case .clear:
                // The recording keeps what was published; a clear only tells players to drop what they hold.
                printError("clear at chunk \(message.header.sequence)")
            case .mark:
                printError(
                    "mark '\(String(decoding: message.payload, as: UTF8.self))' at chunk \(message.header.sequence)"
                )
            case .heartbeat, .catalogue:
                break
            }
        }
        printError(summary.line)
    }
}

/// What `tap` saw: chunks, bytes, media time and sequence gaps.
struct TapSummary {
    var chunks = 0
    var bytes = 0
    var samples: UInt64 = 0
    var sampleRate = 0
    var gaps = 0
    var invalid = 0
    var heartbeats = 0
    private var expected: UInt64?

    mutating func record(_ header: BusHeader, bytes: Int) {
        if let expected, header.sequence != expected { self.gaps += 1 }
        self.expected = header.sequence + 1
        self.chunks += 1
        self.bytes += bytes
        self.samples += UInt64(header.durationSamples)
        self.sampleRate = Int(header.sampleRate)
    }

    var line: String {
        let seconds = self.sampleRate > 0 ? Double(self.samples) / Double(self.sampleRate) : 0
        return
            "\(self.chunks) chunks, \(self.bytes) bytes, \(String(format2: seconds)) s of audio, \(self.gaps) sequence gaps"
    }
}
