import NIOCore
import NIOPosix
import WavecastCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Listens to one gateway stream on one connection: checks the sequence, measures lateness, and
/// appends each chunk's MP3 to a file.
///
/// ``run()`` blocks until the stream ends, the time limit passes, the connection closes, or
/// ``stop()`` is called from any thread (e.g. on Ctrl-C).
public final class StreamListener: Sendable {
    private let url: WebSocketURL
    private let seconds: Double?
    private let output: Int32?
    private let group: MultiThreadedEventLoopGroup
    private let loop: any EventLoop
    private let done: EventLoopPromise<ListenReport.Ending>

    /// Prepares a listener; nothing connects before ``run()``.
    ///
    /// - Parameters:
    ///   - url: the stream's address, `ws://host:port/ws/ID`.
    ///   - outputDescriptor: an open file descriptor to append the MP3 to, or `nil` not to save it.
    ///   - seconds: stop after this long, or `nil` for no limit.
    public init(url: WebSocketURL, outputDescriptor: Int32?, seconds: Double?) {
        self.url = url
        self.seconds = seconds
        self.output = outputDescriptor
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.loop = self.group.next()
        self.done = self.loop.makePromise()
    }

    deinit {
        self.done.succeed(.interrupted)
        try? self.group.syncShutdownGracefully()
    }

    /// Stops listening; safe from any thread, any number of times.
    public func stop() {
        self.done.succeed(.interrupted)
    }

    /// Connects and listens until the end; do not call it on an event loop.
    ///
    /// - Returns: what was seen.
    /// - Throws: when the connection cannot be made, or the file cannot be written.
    public func run() throws -> ListenReport {
        let loop = self.loop
        let done = self.done
        let output = self.output
        let connectStart = NIODeadline.now().uptimeNanoseconds
        let session = try loop.submit {
            NIOLoopBound(
                ListenSession(output: output, connectStart: connectStart, done: done),
                eventLoop: loop
            )
        }.wait()
        let connection = WebSocketClient.connect(to: self.url, on: loop) { session.value }
        connection.whenFailure { done.fail($0) }
        if let seconds = self.seconds {
            loop.scheduleTask(in: .nanoseconds(Int64(seconds * 1e9))) { done.succeed(.timeLimit) }
        }
        let ending = try done.futureResult.wait()
        if let channel = try? connection.wait(), channel.isActive {
            try? WebSocketClient.close(channel).wait()
        }
        return try loop.submit {
            let session = session.value
            if let error = session.writeError { throw error }
            var report = session.report
            report.ending = ending
            report.lateness = session.lateness
            return report
        }.wait()
    }
}

/// Why the MP3 file could not be written.
struct ListenWriteError: Error, CustomStringConvertible {
    var description: String
}

/// The receiver of a ``StreamListener``'s connection. Confined to its event loop.
final class ListenSession: WebSocketMessageReceiver {
    var report = ListenReport(ending: .interrupted)
    var lateness = LatencyHistogram()
    var writeError: ListenWriteError?
    private var tracker = StreamTracker()
    private let output: Int32?
    private let connectStart: UInt64
    private let done: EventLoopPromise<ListenReport.Ending>

    init(output: Int32?, connectStart: UInt64, done: EventLoopPromise<ListenReport.Ending>) {
        self.output = output
        self.connectStart = connectStart
        self.done = done
    }

    func webSocketConnected(at nanoseconds: UInt64) {
        self.report.connectMicroseconds = (nanoseconds &- self.connectStart) / 1000
    }

    func webSocketReceived(text: ByteBuffer, at nanoseconds: UInt64) {
        self.report.messages += 1
        guard let scan = ClientMessageScanner.scan(text) else {
            self.report.malformed += 1
            return
        }
        switch scan.event {
        case .chunk:
            self.chunk(scan, text: text, at: nanoseconds)
        case .start:
            self.tracker.streamStarted()
            self.report.startMessage = String(buffer: text)
        case .end:
            let reason = scan.reason.map { Self.string(text, $0) } ?? "?"
            self.done.succeed(.ended(reason: reason))
        case .other:
            break
        }
    }

    func webSocketClosed(_ closure: WebSocketClosure) {
        self.done.succeed(.closed(closure))
    }

    private func chunk(_ scan: ClientMessageScan, text: ByteBuffer, at nanoseconds: UInt64) {
        let observation = self.tracker.chunk(
            sequence: scan.sequence,
            timestampMicroseconds: scan.timestampMicroseconds,
            arrivalNanoseconds: nanoseconds
        )
        self.report.chunks += 1
        if self.report.firstChunkMicroseconds == nil {
            self.report.firstChunkMicroseconds = (nanoseconds &- self.connectStart) / 1000
            self.report.firstSequence = scan.sequence
        }
        if scan.sequence == nil || scan.timestampMicroseconds == nil { self.report.seedChunks += 1 }
        if scan.isSync == true { self.report.syncChunks += 1 }
        if observation.missing > 0 { self.report.gaps += 1 }
        self.report.missing += observation.missing
        if observation.duplicate { self.report.duplicates += 1 }
        self.report.mediaMicroseconds += scan.durationMicroseconds ?? 0
        self.lateness.record(nanoseconds: observation.latenessNanoseconds)
        guard let range = scan.payload, let mp3 = Base64.decode(Self.string(text, range)) else {
            self.report.badPayloads += 1
            return
        }
        self.report.bytes += UInt64(mp3.count)
        if let output = self.output, self.writeError == nil {
            self.append(mp3, to: output)
        }
    }

    private func append(_ bytes: [UInt8], to descriptor: Int32) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else {
                self.writeError = ListenWriteError(description: "write failed: \(String(cString: strerror(errno)))")
                self.done.succeed(.interrupted)
                return
            }
            offset += written
        }
    }

    private static func string(_ text: ByteBuffer, _ range: Range<Int>) -> String {
        text.getString(at: text.readerIndex + range.lowerBound, length: range.count) ?? ""
    }
}

@available(*, unavailable)
extension ListenSession: Sendable {}
