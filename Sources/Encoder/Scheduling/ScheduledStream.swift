import DequeModule
import WavecastCore

/// One stream's place on the media clock and the audio it still has to publish.
struct ScheduledStream: Sendable {
    /// The stream's id.
    let id: StreamID
    /// Sequence number of the next chunk.
    var nextSequence: UInt64 = 0
    /// Media time of the next chunk, in output samples: the sum of every published chunk's samples.
    var position: UInt64 = 0
    /// The monotonic time of media time 0; set when the first chunk goes out, moved after an underrun.
    var anchor: MonotonicTime?
    /// Audio waiting to be published, oldest first.
    var queue: Deque<QueuedAudio> = []
    /// Open for live PCM (`open` seen, `close` not yet).
    var isLive = false
    /// `start` has been published.
    var hasStarted = false
    /// The queue ran dry while the stream was live: the next audio re-anchors instead of catching up.
    var isUnderrun = false
    /// Identifies the stream's current heap entry; older entries are stale.
    var ticket: UInt64 = 0

    init(id: StreamID) {
        self.id = id
    }

    /// The deadline of media time `position`, once anchored.
    func deadline(sampleRate: Int) -> MonotonicTime? {
        self.anchor?.advanced(byNanoseconds: MediaClock.nanoseconds(samples: self.position, sampleRate: sampleRate))
    }

    /// Samples queued and not yet published (one pass of a loop).
    var queuedSamples: UInt64 {
        self.queue.reduce(0) { $0 + $1.remainingSamples }
    }

    /// Whether a looping file is what is playing.
    var isLooping: Bool {
        self.queue.first?.loop == true && self.queue.count == 1
    }
}
