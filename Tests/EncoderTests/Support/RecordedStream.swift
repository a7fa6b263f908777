import Testing
import WavecastCore
import WavecastTestSupport

/// What one stream published on the bus, in arrival order.
struct RecordedStream: Sendable {
    /// The stream id.
    var id: String
    /// The stream's messages, in arrival order.
    var messages: [ReceivedMessage]

    /// The chunk messages, in arrival order.
    var chunks: [ReceivedMessage] { self.messages.filter { $0.kind == .chunk } }
    /// The start messages (there should be one).
    var starts: [ReceivedMessage] { self.messages.filter { $0.kind == .start } }
    /// The end messages (there should be one).
    var ends: [ReceivedMessage] { self.messages.filter { $0.kind == .end } }
    /// The stream's `end`, if it came.
    var end: ReceivedMessage? { self.ends.first }

    /// The MP3 the stream carried: its chunks' payloads, concatenated.
    var mp3: [UInt8] { self.chunks.flatMap(\.message.payload) }

    /// Output samples carried by the chunks.
    var totalSamples: UInt64 { self.chunks.reduce(0) { $0 + UInt64($1.header.durationSamples) } }

    /// Time from the first chunk's arrival to the last's.
    var arrivalSpan: Duration {
        guard let first = self.chunks.first, let last = self.chunks.last else { return .zero }
        return .nanoseconds(last.arrival.nanoseconds(since: first.arrival))
    }

    /// Media time from the first chunk's timestamp to the last's.
    var mediaSpan: Duration {
        guard let first = self.chunks.first, let last = self.chunks.last else { return .zero }
        return last.header.timestamp - first.header.timestamp
    }

    /// For every chunk: its arrival after the first chunk's, minus its media time after the first chunk's.
    ///
    /// Real-time pacing from absolute deadlines keeps these level; a drift makes them slope, and a catch-up burst
    /// after a pause or publication at 2× real time makes them fall by as much as the pause or half the media time.
    var pacingOffsets: [Duration] {
        let chunks = self.chunks
        guard let first = chunks.first else { return [] }
        return chunks.map {
            .nanoseconds($0.arrival.nanoseconds(since: first.arrival)) - ($0.header.timestamp - first.header.timestamp)
        }
    }

    /// Time between consecutive chunks' arrivals.
    var interArrivals: [Duration] {
        let chunks = self.chunks
        return zip(chunks, chunks.dropFirst()).map { .nanoseconds($1.arrival.nanoseconds(since: $0.arrival)) }
    }

    /// The spread of ``pacingOffsets``, latest minus earliest: how far publication strayed from the media clock,
    /// whichever chunk happened to arrive late (the first one included).
    var pacingJitter: Duration {
        let offsets = self.pacingOffsets
        guard let latest = offsets.max(), let earliest = offsets.min() else { return .zero }
        return latest - earliest
    }
}

extension BusTap {
    /// Waits for the `end` of `stream` and returns everything the stream published up to it.
    func waitForRecording(of stream: String, timeout: Duration) async throws -> RecordedStream {
        RecordedStream(id: stream, messages: try await self.waitForEnd(of: stream, timeout: timeout))
    }
}

/// The output format the tests' encoders use (the encoder's default): 8 kHz, 8 kbps, mono.
enum TestFormat {
    static let format = MP3OutputFormat.default
    /// One MP3 frame at 8 kHz: 576 samples.
    static let samplesPerFrame = 576
    /// One MP3 frame at 8 kHz: 72 ms.
    static let frameDuration = Duration.milliseconds(72)
    /// One frame at 8 kbps: 72 bytes, unpadded.
    static let frameBytes = 72
}

/// Checks everything the bus protocol promises about a stream that ran to its `end`.
///
/// Start comes first and end last, one of each; sequence numbers run 0, 1, 2… with no gap; each timestamp is the
/// sum of the durations before it; the end carries the chunk count and total media time and the expected stopped
/// flag; every chunk is one whole, self-contained MPEG-2.5 frame (sync, `main_data_begin == 0`, reservoir off).
func expectWellFormed(
    _ stream: RecordedStream,
    stopped: Bool,
    framesPerChunk: Int = 1,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let messages = stream.messages
    #expect(stream.starts.count == 1, "one start for '\(stream.id)'", sourceLocation: sourceLocation)
    #expect(stream.ends.count == 1, "one end for '\(stream.id)'", sourceLocation: sourceLocation)
    #expect(messages.first?.kind == .start, "start comes first", sourceLocation: sourceLocation)
    #expect(messages.last?.kind == .end, "end comes last", sourceLocation: sourceLocation)
    if let start = stream.starts.first {
        #expect(start.header.sampleRate == 8000, sourceLocation: sourceLocation)
        #expect(start.header.bitrate == 8, sourceLocation: sourceLocation)
        #expect(start.header.channels == 1, sourceLocation: sourceLocation)
    }
    let chunks = stream.chunks
    #expect(!chunks.isEmpty, "'\(stream.id)' published chunks", sourceLocation: sourceLocation)
    var expectedTimestamp: UInt64 = 0
    for (index, chunk) in chunks.enumerated() {
        let header = chunk.header
        #expect(header.sequence == UInt64(index), "chunk \(index)'s sequence", sourceLocation: sourceLocation)
        #expect(
            header.timestampSamples == expectedTimestamp,
            "chunk \(index)'s timestamp",
            sourceLocation: sourceLocation
        )
        expectedTimestamp += UInt64(header.durationSamples)
        #expect(header.isSync, "chunk \(index) is sync", sourceLocation: sourceLocation)
        #expect(Int(header.frameCount) <= framesPerChunk, sourceLocation: sourceLocation)
        #expect(
            Int(header.durationSamples) == Int(header.frameCount) * TestFormat.samplesPerFrame,
            "chunk \(index)'s duration is its frames' samples",
            sourceLocation: sourceLocation
        )
        #expect(
            chunk.message.payload.count == Int(header.frameCount) * TestFormat.frameBytes,
            "chunk \(index) holds whole 72-byte frames",
            sourceLocation: sourceLocation
        )
        #expect(
            mainDataBeginIsZero(chunk.message.payload),
            "chunk \(index) starts with an MPEG-2.5 Layer III frame that decodes on its own",
            sourceLocation: sourceLocation
        )
    }
    if let end = stream.end {
        #expect(
            end.header.sequence == UInt64(chunks.count),
            "end carries the chunk count",
            sourceLocation: sourceLocation
        )
        #expect(
            end.header.timestampSamples == expectedTimestamp,
            "end carries the total",
            sourceLocation: sourceLocation
        )
        #expect(end.header.isStopped == stopped, "end's stopped flag", sourceLocation: sourceLocation)
    }
}

/// Whether `frame` starts with an MPEG-2.5 Layer III header (`FF E2`/`FF E3`) whose `main_data_begin` is 0.
///
/// MPEG-2/2.5 side information starts with an 8-bit `main_data_begin`, right after the 4-byte header, or after the
/// 2-byte CRC when the protection bit is 0 (`FF E2`).
func mainDataBeginIsZero(_ frame: [UInt8]) -> Bool {
    guard frame.count > 6, frame[0] == 0xFF, frame[1] == 0xE2 || frame[1] == 0xE3 else { return false }
    let sideInfo = frame[1] == 0xE3 ? 4 : 6
    return frame[sideInfo] == 0
}

extension Duration {
    /// The duration in milliseconds, as a number for messages and comparisons.
    var milliseconds: Double {
        Double(self.components.seconds) * 1000 + Double(self.components.attoseconds) / 1e15
    }
}

/// The magnitude of a duration.
func abs(_ duration: Duration) -> Duration {
    duration < .zero ? .zero - duration : duration
}
