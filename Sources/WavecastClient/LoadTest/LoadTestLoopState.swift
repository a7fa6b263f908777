import NIOCore

/// The figures of one event loop's connections; merged across loops into a ``LoadTestReport``.
public struct LoadTestFigures: Sendable {
    /// Lateness of each chunk against its connection's media clock (from the measuring start on).
    public var lateness = LatencyHistogram()
    /// Time from starting to connect to the first chunk, per connection.
    public var timeToFirstChunk = LatencyHistogram()
    /// Text messages received (every event).
    public var messages: UInt64 = 0
    /// Chunk events received.
    public var chunks: UInt64 = 0
    /// `start` events received.
    public var starts: UInt64 = 0
    /// `end` events received.
    public var ends: UInt64 = 0
    /// Sequence numbers skipped, summed over connections.
    public var missing: UInt64 = 0
    /// Chunks whose sequence number repeated (or went back), summed over connections.
    public var duplicates: UInt64 = 0
    /// Messages the scanner could not read.
    public var malformed: UInt64 = 0
    /// Connections upgraded.
    public var upgraded: Int = 0
    /// Connections that received at least one chunk.
    public var withChunk: Int = 0
    /// Connections the server closed, by the status code of its close frame.
    public var closesByCode: [UInt16: Int] = [:]
    /// Connections that ended without a close frame while the test ran (1006).
    public var dropped: Int = 0
    /// Connections still open when the test ended.
    public var openAtEnd: Int = 0

    /// Empty figures.
    public init() {}

    /// Adds `other`'s figures to these.
    public mutating func merge(_ other: LoadTestFigures) {
        self.lateness.merge(other.lateness)
        self.timeToFirstChunk.merge(other.timeToFirstChunk)
        self.messages += other.messages
        self.chunks += other.chunks
        self.starts += other.starts
        self.ends += other.ends
        self.missing += other.missing
        self.duplicates += other.duplicates
        self.malformed += other.malformed
        self.upgraded += other.upgraded
        self.withChunk += other.withChunk
        self.closesByCode.merge(other.closesByCode, uniquingKeysWith: +)
        self.dropped += other.dropped
        self.openAtEnd += other.openAtEnd
    }
}

/// One event loop's share of a load test: its connections' figures and channels. Confined to
/// that loop, so the hot path takes no lock.
final class LoadTestLoopState {
    var figures = LoadTestFigures()
    var channels: [any Channel] = []
    /// Lateness counts for chunks that arrive from here on (monotonic nanoseconds).
    let measureFrom: UInt64
    /// Set when the test ends: closes from here on are the test's own.
    var ended = false

    init(measureFrom: UInt64) {
        self.measureFrom = measureFrom
    }

    /// The figures so far, with the count of connections still open.
    func snapshot() -> LoadTestFigures {
        var figures = self.figures
        figures.openAtEnd = self.channels.reduce(0) { $0 + ($1.isActive ? 1 : 0) }
        return figures
    }
}

@available(*, unavailable)
extension LoadTestLoopState: Sendable {}

/// One load-test connection: scans each message and adds to its loop's figures.
final class LoadTestReceiver: WebSocketMessageReceiver {
    private let state: LoadTestLoopState
    private let connectStart: UInt64
    private var tracker = StreamTracker()
    private var gotChunk = false

    init(state: LoadTestLoopState, connectStart: UInt64) {
        self.state = state
        self.connectStart = connectStart
    }

    func webSocketConnected(at nanoseconds: UInt64) {
        self.state.figures.upgraded += 1
    }

    func webSocketReceived(text: ByteBuffer, at nanoseconds: UInt64) {
        let state = self.state
        state.figures.messages &+= 1
        guard let scan = ClientMessageScanner.scan(text) else {
            state.figures.malformed &+= 1
            return
        }
        switch scan.event {
        case .chunk:
            let observation = self.tracker.chunk(
                sequence: scan.sequence,
                timestampMicroseconds: scan.timestampMicroseconds,
                arrivalNanoseconds: nanoseconds
            )
            state.figures.chunks &+= 1
            state.figures.missing &+= observation.missing
            if observation.duplicate { state.figures.duplicates &+= 1 }
            if !self.gotChunk {
                self.gotChunk = true
                state.figures.withChunk += 1
                state.figures.timeToFirstChunk.record(nanoseconds: Int64(nanoseconds &- self.connectStart))
            }
            if nanoseconds >= state.measureFrom {
                state.figures.lateness.record(nanoseconds: observation.latenessNanoseconds)
            }
        case .start:
            self.tracker.streamStarted()
            state.figures.starts &+= 1
        case .end:
            state.figures.ends &+= 1
        case .other:
            break
        }
    }

    func webSocketClosed(_ closure: WebSocketClosure) {
        guard closure.byServer, !self.state.ended else { return }
        if let code = closure.code {
            self.state.figures.closesByCode[code, default: 0] += 1
        } else {
            self.state.figures.dropped += 1
        }
    }
}

@available(*, unavailable)
extension LoadTestReceiver: Sendable {}
