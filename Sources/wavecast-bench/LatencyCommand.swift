import ArgumentParser
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import WavecastBench
import WavecastClient
import WavecastCore
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

/// `wavecast-bench latency`: the end-to-end latency from `pcm` into the encoder to one WebSocket client of a gateway.
///
/// Connects the client first (the stream does not exist yet: the gateway holds it until it starts), opens a live
/// stream, then feeds PCM one MP3 frame (576 samples, 72 ms at 8 kHz) per request on absolute deadlines. A chunk of F
/// frames holds frames [k·F, (k+1)·F): it is complete after the first `pcm` whose reply brings the encoder's frame
/// count to (k+1)·F; its latency is its arrival minus that request's send. Prints one `e2e key=value …` line.
struct LatencyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "latency",
        abstract: "Measure the latency from live PCM into the encoder to a gateway's WebSocket client."
    )

    @Option(help: "The encoder's ingest endpoint (ROUTER).")
    var encoder: String

    @Option(help: "The gateway's WebSocket URL of the stream (ws://127.0.0.1:PORT/ws/live).")
    var url: String

    @Option(help: "The live stream's id (as in --url).")
    var stream = "live"

    @Option(help: "How long to feed PCM, in seconds.")
    var seconds = 20.0

    @Option(help: "The encoder's --chunk-frames: MP3 frames per chunk.")
    var chunkFrames = 1

    /// Rejects a window, chunk size or URL the measurement cannot use, before anything connects.
    func validate() throws {
        guard self.seconds >= 1 && self.seconds <= 3600 else { throw ValidationError("--seconds must be 1…3600") }
        guard (1...1000).contains(self.chunkFrames) else { throw ValidationError("--chunk-frames must be 1…1000") }
        guard (try? WebSocketURL(parsing: self.url)) != nil else {
            throw ValidationError("--url must look like ws://127.0.0.1:8080/ws/live, not '\(self.url)'")
        }
    }

    /// Connects, feeds, and prints the `e2e` line; every wait is bounded (5 s per reply, the feed's own length).
    func run() throws {
        let piece = 576  // samples per pcm request: one MP3 frame at 8 kHz
        let period = Int64(piece) * 1_000_000_000 / 8000  // 72 ms
        let ingest = try LatencyIngest(endpoint: self.encoder)
        let arrivals = NIOLockedValueBox<[UInt64: UInt64]>([:])
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let channel = try WebSocketClient.connect(to: try WebSocketURL(parsing: self.url), on: group.next()) {
            ArrivalRecorder(arrivals: arrivals)
        }.wait()
        SystemIO.sleep(seconds: 0.3)
        _ = try ingest.request(["op": "open", "stream": .string(self.stream), "sample_rate": 8000, "channels": 1])
        var sends: [(sent: UInt64, frames: Int)] = []
        var frames = 0
        let start = Self.now() + 50_000_000
        let count = Int(self.seconds * 1e9 / Double(period))
        for index in 0..<count {
            // A continuous 440 Hz tone, as s16le.
            var pcm: [UInt8] = []
            pcm.reserveCapacity(2 * piece)
            for sample in 0..<piece {
                let phase = 2 * Double.pi * 440 * Double(index * piece + sample) / 8000
                let value = Int16(8000 * sin(phase))
                pcm.append(UInt8(truncatingIfNeeded: value))
                pcm.append(UInt8(truncatingIfNeeded: value >> 8))
            }
            let due = start + UInt64(index) * UInt64(period)
            let now = Self.now()
            if due > now { SystemIO.sleep(seconds: Double(due - now) / 1e9) }
            let sent = Self.now()
            let reply = try ingest.request(["op": "pcm", "stream": .string(self.stream)], payload: pcm)
            frames += reply["frames"]?.integerValue ?? 0
            sends.append((sent, frames))
        }
        _ = try ingest.request(["op": "close", "stream": .string(self.stream)])
        SystemIO.sleep(seconds: 1)
        try? WebSocketClient.close(channel).wait()

        var latencies: [Double] = []
        for (sequence, arrived) in arrivals.withLockedValue({ $0 }).sorted(by: { $0.key < $1.key }) {
            let needed = (Int(sequence) + 1) * self.chunkFrames
            if let send = sends.first(where: { $0.frames >= needed }) {
                latencies.append((Double(arrived) - Double(send.sent)) / 1e6)
            }
        }
        guard !latencies.isEmpty else { throw BenchError("e2e: no chunk arrived") }
        latencies.sort()
        /// The latency at quantile `p` (the index `p × count`, as the Python client before it), two decimals.
        func quantile(_ p: Double) -> String {
            Formatting.fixed(latencies[min(latencies.count - 1, Int(p * Double(latencies.count)))], 2)
        }
        print(
            "e2e chunks=\(latencies.count) sent=\(sends.count) p50_ms=\(quantile(0.5)) p99_ms=\(quantile(0.99)) "
                + "max_ms=\(Formatting.fixed(latencies.last!, 2)) min_ms=\(Formatting.fixed(latencies[0], 2))"
        )
    }

    /// The monotonic clock the WebSocket client stamps arrivals with (`NIODeadline`), in nanoseconds.
    private static func now() -> UInt64 { NIODeadline.now().uptimeNanoseconds }
}

/// One DEALER to the encoder's ingest socket: a request, then its reply within 5 s.
private struct LatencyIngest {
    let socket: ZMQSocket
    let context: ZMQContext

    /// Connects a DEALER to `endpoint`; it lingers 0 ms, so a stopped encoder cannot hold the exit.
    init(endpoint: String) throws {
        self.context = try ZMQContext()
        self.socket = try ZMQSocket(context: self.context, type: .dealer)
        try self.socket.setLinger(milliseconds: 0)
        try self.socket.connect(endpoint)
    }

    /// Sends `header` (and `payload`) and returns the reply's JSON object.
    ///
    /// - Throws: ``BenchError`` when no reply comes within 5 s or the reply is not `{"ok":true,…}`.
    func request(_ header: JSONObject, payload: [UInt8]? = nil) throws -> JSONObject {
        try self.socket.send([JSONValue.object(header).serializedBytes] + (payload.map { [$0] } ?? []))
        guard try self.socket.waitReadable(timeoutMilliseconds: 5000),
            let frames = try self.socket.receive(dontWait: true),
            let last = frames.last, case .object(let reply)? = try? JSONValue.parse(last)
        else {
            throw BenchError("e2e: no reply to \(header["op"].map { "\($0)" } ?? "a request") within 5 s")
        }
        guard reply["ok"] == .bool(true) else {
            throw BenchError(
                "e2e: \(header["op"].map { "\($0)" } ?? "request") failed: \(String(decoding: last, as: UTF8.self))"
            )
        }
        return reply
    }
}

/// Notes each chunk's first arrival by its sequence number. Confined to the connection's event loop; the table it
/// writes is locked, because the measuring thread reads it at the end.
private final class ArrivalRecorder: WebSocketMessageReceiver {
    private let arrivals: NIOLockedValueBox<[UInt64: UInt64]>

    /// Records into `arrivals`: sequence number to first arrival (monotonic nanoseconds).
    init(arrivals: NIOLockedValueBox<[UInt64: UInt64]>) {
        self.arrivals = arrivals
    }

    /// Nothing to note: the client connects before the stream exists.
    func webSocketConnected(at nanoseconds: UInt64) {}

    /// Notes a chunk's first arrival; other messages (start, end) do not count.
    func webSocketReceived(text: ByteBuffer, at nanoseconds: UInt64) {
        guard let scan = ClientMessageScanner.scan(text), scan.event == .chunk, let sequence = scan.sequence else {
            return
        }
        self.arrivals.withLockedValue { if $0[sequence] == nil { $0[sequence] = nanoseconds } }
    }

    /// Nothing to do: the measurement ends by its own clock, not the connection's.
    func webSocketClosed(_ closure: WebSocketClosure) {}
}
