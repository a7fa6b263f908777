import WavecastCore

/// Encoded audio waiting in a stream's queue: one played file, the chunks of some live PCM, or a mark (no chunks).
struct QueuedAudio: Sendable {
    /// The chunks, in play order.
    var chunks: [MP3Chunk]
    /// Repeat from the first chunk when done, as long as nothing else is queued behind.
    var loop: Bool
    /// Index of the next chunk to publish.
    var next = 0
    /// A playback mark's name: published as soon as everything queued before it has been.
    var markName: String?

    /// A mark in the queue.
    static func mark(_ name: String) -> QueuedAudio {
        QueuedAudio(chunks: [], loop: false, markName: name)
    }

    /// Samples left to publish in this item (one pass, for a loop).
    var remainingSamples: UInt64 {
        var total: UInt64 = 0
        for index in self.next..<self.chunks.count {
            total += UInt64(self.chunks[index].sampleCount)
        }
        return total
    }
}
