import NIOConcurrencyHelpers
import WavecastCore

/// What the gateway knows of each live stream, for `GET /streams`; written by the bus thread.
final class StreamDirectory: Sendable {
    /// One stream's entry.
    struct Entry: Sendable {
        var sampleRate: Int
        var channels: Int
        var bitrate: Int
        var positionSamples: UInt64
        var lastSequence: UInt64?
        var gaps: UInt64
    }

    /// What changes with every chunk: the bus thread keeps it (``StreamTimeline/figures``) and
    /// copies it here with ``record(_:)`` a few times a second, not once per chunk.
    struct Figures: Sendable, Hashable {
        var positionSamples: UInt64 = 0
        var lastSequence: UInt64?
        var gaps: UInt64 = 0
    }

    private let entries = NIOLockedValueBox<[StreamID: Entry]>([:])
    /// Which live streams have a µ-law rendition (for Twilio calls).
    let muLaw = MuLawAvailability()

    /// Updates (or creates) `stream`'s entry; a rendition's key (a gateway's µ-law topic) is not a stream, and is
    /// not listed.
    func update(_ stream: StreamID, _ body: (inout Entry) -> Void) {
        guard stream.rendition == .mp3 else { return }
        self.entries.withLockedValue { entries in
            var entry = entries[stream] ?? Entry(sampleRate: 0, channels: 0, bitrate: 0, positionSamples: 0, gaps: 0)
            body(&entry)
            entries[stream] = entry
        }
    }

    /// Copies each listed stream's figures into its entry, under one lock; streams with no entry are skipped.
    func record(_ figures: some Sequence<(StreamID, Figures)>) {
        self.entries.withLockedValue { entries in
            for (stream, figures) in figures {
                guard let index = entries.index(forKey: stream) else { continue }
                entries.values[index].positionSamples = figures.positionSamples
                entries.values[index].lastSequence = figures.lastSequence
                entries.values[index].gaps = figures.gaps
            }
        }
    }

    /// Forgets `stream`.
    func remove(_ stream: StreamID) {
        _ = self.entries.withLockedValue { $0.removeValue(forKey: stream) }
    }

    /// Every stream, sorted by id.
    func snapshot() -> [(StreamID, Entry)] {
        self.entries.withLockedValue { $0.sorted { $0.key < $1.key }.map { ($0.key, $0.value) } }
    }

    /// How many streams are known.
    var count: Int { self.entries.withLockedValue { $0.count } }
}
