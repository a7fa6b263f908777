/// What a ``StreamListener`` saw on its one connection.
public struct ListenReport: Sendable {
    /// Why listening stopped.
    public enum Ending: Sendable, Hashable {
        /// The stream's `end` event, with its reason (`finished` or `stopped`).
        case ended(reason: String)
        /// The time limit passed.
        case timeLimit
        /// ``StreamListener/stop()`` was called (Ctrl-C).
        case interrupted
        /// The connection closed before the stream ended.
        case closed(WebSocketClosure)
    }

    /// Why listening stopped.
    public var ending: Ending
    /// Text messages received.
    public var messages: UInt64 = 0
    /// Chunk events received.
    public var chunks: UInt64 = 0
    /// Chunks in the prototype's shape (no `seq` or `timestamp`: `?compat=seed`).
    public var seedChunks: UInt64 = 0
    /// Chunks that were sync points (`is_sync` true).
    public var syncChunks: UInt64 = 0
    /// MP3 bytes decoded from the payloads.
    public var bytes: UInt64 = 0
    /// Media time received, from the chunks' durations, in microseconds.
    public var mediaMicroseconds: UInt64 = 0
    /// Payloads that were not valid base64.
    public var badPayloads: UInt64 = 0
    /// Messages the scanner could not read.
    public var malformed: UInt64 = 0
    /// Sequence gaps and the numbers they skipped, and repeated numbers.
    public var gaps: UInt64 = 0
    /// Sequence numbers skipped in all.
    public var missing: UInt64 = 0
    /// Chunks whose sequence number repeated (or went back).
    public var duplicates: UInt64 = 0
    /// The first chunk's sequence number.
    public var firstSequence: UInt64?
    /// How late each chunk arrived against the connection's media clock.
    public var lateness = LatencyHistogram()
    /// From starting to connect to the upgrade, in microseconds.
    public var connectMicroseconds: UInt64?
    /// From starting to connect to the first chunk, in microseconds.
    public var firstChunkMicroseconds: UInt64?
    /// The `start` event's text, when one came.
    public var startMessage: String?

    /// An empty report that ended as `ending` says.
    public init(ending: Ending) {
        self.ending = ending
    }
}

extension ListenReport {
    /// The report for a person: a few lines of text.
    public var text: String {
        var lines: [String] = []
        let ms = LoadTestReport.milliseconds
        let ending =
            switch self.ending {
            case .ended(let reason): "the stream ended (\(reason))"
            case .timeLimit: "the time limit passed"
            case .interrupted: "interrupted"
            case .closed(let closure):
                closure.code.map { "the server closed the connection (\($0))" }
                    ?? "the connection dropped without a close frame"
            }
        lines.append("stopped: \(ending)")
        if let startMessage { lines.append("start: \(startMessage)") }
        lines.append(
            "chunks: \(self.chunks) (\(self.syncChunks) sync\(self.seedChunks > 0 ? ", \(self.seedChunks) seed-shaped" : "")),"
                + " \(self.bytes) MP3 bytes, \(ms(self.mediaMicroseconds)) ms of audio, \(self.messages) messages"
        )
        lines.append(
            "sequence: first \(self.firstSequence.map(String.init) ?? "-"), \(self.gaps) gaps (\(self.missing) missing),"
                + " \(self.duplicates) duplicates; \(self.malformed) unreadable messages, \(self.badPayloads) bad payloads"
        )
        lines.append(
            "connect: \(self.connectMicroseconds.map { ms($0) + " ms" } ?? "-"), first chunk after "
                + "\(self.firstChunkMicroseconds.map { ms($0) + " ms" } ?? "-")"
        )
        lines.append(
            "lateness vs media clock: p50 \(ms(self.lateness.percentile(0.5))) ms, "
                + "p99 \(ms(self.lateness.percentile(0.99))) ms, max \(ms(self.lateness.max)) ms"
        )
        return lines.joined(separator: "\n")
    }
}
