import Testing
import WavecastCore

/// Checks shared by the end-to-end tests.
enum StreamExpectations {
    /// Expects `events` to be the stream's `start`, then every chunk the encoder published, in order and
    /// byte-identical, then its `end` with `reason`.
    static func expectWholeStream(
        _ events: [ClientEvent],
        published: [BusMessage],
        stream: String,
        reason: String = "finished",
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard let first = events.first, let last = events.last else {
            Issue.record("no events at all", sourceLocation: sourceLocation)
            return
        }
        #expect(first.event == "start", sourceLocation: sourceLocation)
        #expect(first.string("stream") == stream, sourceLocation: sourceLocation)
        #expect(last.event == "end", sourceLocation: sourceLocation)
        #expect(last.string("reason") == reason, sourceLocation: sourceLocation)
        let chunks = events.filter { $0.event == "chunk" }
        #expect(chunks.count + 2 == events.count, "only start, chunks, end", sourceLocation: sourceLocation)
        Self.expectChunks(chunks, match: published, sourceLocation: sourceLocation)
    }

    /// Expects `chunks` to be exactly `published`: same count, sequence, payload bytes, sync flag and times.
    static func expectChunks(
        _ chunks: [ClientEvent],
        match published: [BusMessage],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(chunks.count == published.count, sourceLocation: sourceLocation)
        var mismatches = 0
        for (chunk, message) in zip(chunks, published) {
            let header = message.header
            let sampleRate = Int(header.sampleRate)
            let same =
                chunk.sequence == header.sequence && chunk.payload == message.payload
                && chunk.isSync == header.isSync
                && chunk.timestamp == Self.milliseconds(header.timestampSamples, sampleRate)
                && chunk.duration == Self.milliseconds(UInt64(header.durationSamples), sampleRate)
            if !same {
                mismatches += 1
                if mismatches <= 3 {
                    Issue.record(
                        "chunk \(chunk.sequence.map(String.init) ?? "?") differs from bus chunk \(header.sequence): \(chunk.text)",
                        sourceLocation: sourceLocation
                    )
                }
            }
        }
        #expect(mismatches == 0, sourceLocation: sourceLocation)
    }

    /// Media time in milliseconds as the client protocol writes it (microsecond resolution).
    static func milliseconds(_ samples: UInt64, _ sampleRate: Int) -> Double {
        Double(MediaClock.nanoseconds(samples: samples, sampleRate: sampleRate) / 1000) / 1000
    }
}

/// How evenly chunks arrived, against their media timestamps.
struct PacingFigures: CustomStringConvertible {
    /// Chunks measured.
    var count: Int
    /// Mean time between consecutive arrivals, in ms.
    var meanInterval: Double
    /// (last arrival − first arrival) − (last timestamp − first timestamp), in ms.
    var spanError: Double
    /// Largest minus smallest of (arrival − timestamp): how far any chunk strayed from the schedule, in ms.
    var latenessSpread: Double

    init(_ chunks: [ClientEvent]) {
        self.count = chunks.count
        guard let first = chunks.first, let last = chunks.last, chunks.count > 1 else {
            self.meanInterval = 0
            self.spanError = 0
            self.latenessSpread = 0
            return
        }
        let arrivalSpan = Double(last.arrival.nanoseconds(since: first.arrival)) / 1e6
        let mediaSpan = (last.timestamp ?? 0) - (first.timestamp ?? 0)
        self.meanInterval = arrivalSpan / Double(chunks.count - 1)
        self.spanError = arrivalSpan - mediaSpan
        let lateness = chunks.map {
            Double($0.arrival.nanoseconds(since: first.arrival)) / 1e6 - (($0.timestamp ?? 0) - (first.timestamp ?? 0))
        }
        self.latenessSpread = (lateness.max() ?? 0) - (lateness.min() ?? 0)
    }

    var description: String {
        "\(self.count) chunks, mean interval \(Self.format(self.meanInterval)) ms, span error \(Self.format(self.spanError)) ms, lateness spread \(Self.format(self.latenessSpread)) ms"
    }

    static func format(_ value: Double) -> String {
        String(Double((value * 10).rounded()) / 10)
    }
}
