import WavecastCore

/// One stream's pacing on the gateway: when each chunk goes out to clients.
///
/// The gateway anchors a stream at the arrival of its first chunk plus a jitter delay and sends
/// chunk k at `anchor + (pts_k − pts_first)` on the monotonic clock, so clients get audio at
/// exactly 1× whatever the bus's own jitter. A chunk arriving after its time goes out at once.
/// After a sequence gap, a new `start`, or a chunk later than the jitter budget (the encoder
/// underran and resumed), the stream is anchored afresh. Pure: no I/O, no clock reads.
///
/// A timeline follows one incarnation of its stream, named by its epoch: when the stream moves to
/// another encoder (its feeder plays it again there after a loss) the new source's `start` takes
/// over, and what the old one still sends is ignored (``admit(epoch:isStart:arrival:)``).
struct StreamTimeline: Sendable {
    /// What to do with a message of another epoch than the one followed.
    enum EpochVerdict: Equatable, Sendable {
        /// The epoch followed: go on.
        case current
        /// A new incarnation: follow it from this message on, as a new stream.
        case takeOver
        /// The old incarnation's, or a rival's while the followed one is alive: ignore it.
        case stale
    }

    /// How long the followed epoch must have been silent before a message of another epoch that is not a
    /// `start` takes over (nanoseconds). A new source's `start` takes over at once; this covers a gateway
    /// that missed it. Long enough that two encoders publishing one stream at once (a feeder that
    /// re-routed while the old encoder still plays) do not make listeners flip between them.
    static let takeOverSilence: UInt64 = 2_000_000_000

    /// What scheduling a chunk decided.
    struct Decision: Equatable, Sendable {
        /// When to send the chunk, in monotonic nanoseconds.
        var deadline: UInt64
        /// Chunks missing before this one (0 when the sequence is contiguous).
        var missing: UInt64
        /// The stream was anchored afresh for this chunk.
        var reanchored: Bool
    }

    /// How far behind the live edge a stream may fall (its chunks arriving this much before their
    /// time) before the gateway catches up with a bounded burst.
    static let maximumBehindLive: UInt64 = 500_000_000

    /// Sample rate of the stream's media clock.
    private(set) var sampleRate: Int
    /// The incarnation followed: its encoder's epoch (0 from a version-1 encoder).
    private(set) var epoch: UInt32
    private var anchor: UInt64?
    private var anchorTimestamp: UInt64 = 0
    private var expectedSequence: UInt64?
    /// Monotonic nanoseconds of the last message for this stream.
    private(set) var lastArrival: UInt64
    /// The latest deadline handed out: later events of the stream never go out before it, so
    /// clients get them in order even when a re-anchor moves the clock back.
    private(set) var lastDeadline: UInt64 = 0
    /// Where the stream is, for `/streams`: kept here, where the bus thread has the stream at hand
    /// for every chunk, and copied to the ``StreamDirectory`` a few times a second.
    private(set) var figures = StreamDirectory.Figures()

    init(sampleRate: Int, arrival: UInt64, epoch: UInt32 = 0) {
        self.sampleRate = max(1, sampleRate)
        self.lastArrival = arrival
        self.epoch = epoch
    }

    /// A `start` arrived: the next chunk anchors the stream afresh.
    mutating func restart(sampleRate: Int, arrival: UInt64, epoch: UInt32 = 0) {
        self.sampleRate = max(1, sampleRate)
        self.epoch = epoch
        self.anchor = nil
        self.expectedSequence = nil
        self.lastArrival = arrival
        self.figures = StreamDirectory.Figures()
    }

    /// Whether a message of `epoch` that arrived at `arrival` belongs to the incarnation followed.
    ///
    /// Epochs are not ordered across encoders (each starts its own at random), so "newer" means what came
    /// later: a `start` of another epoch always takes over; anything else only once the followed one has
    /// been silent for ``takeOverSilence``.
    func admit(epoch: UInt32, isStart: Bool, arrival: UInt64) -> EpochVerdict {
        if epoch == self.epoch { return .current }
        if isStart || (arrival > self.lastArrival && arrival - self.lastArrival >= Self.takeOverSilence) {
            return .takeOver
        }
        return .stale
    }

    /// Decides when a chunk with `sequence` and `timestamp` (in samples) that arrived at `arrival` goes out.
    mutating func schedule(sequence: UInt64, timestamp: UInt64, arrival: UInt64, jitter: UInt64) -> Decision {
        self.lastArrival = arrival
        var missing: UInt64 = 0
        if let expected = self.expectedSequence, sequence != expected {
            missing = sequence > expected ? sequence - expected : 0
        }
        self.figures.gaps += missing
        let gap = self.expectedSequence != nil && sequence != self.expectedSequence
        self.expectedSequence = sequence &+ 1

        var reanchored = false
        if self.anchor == nil || gap || timestamp < self.anchorTimestamp {
            self.anchor = arrival &+ jitter
            self.anchorTimestamp = timestamp
            reanchored = true
        }
        var deadline = self.deadline(of: timestamp)
        if !reanchored && arrival > deadline &+ jitter {
            // Later than the jitter budget allows: the source paused. Resume paced from now, no burst.
            self.anchor = arrival &+ jitter
            self.anchorTimestamp = timestamp
            deadline = arrival &+ jitter
            reanchored = true
        } else if !reanchored && deadline > arrival &+ jitter &+ Self.maximumBehindLive {
            // Far earlier than its time: the bus handed over a backlog at once (this gateway was
            // stalled). Playing it out at real time would keep listeners behind the live edge for
            // good; send it now instead (the loops merge it into one write per listener) and carry
            // on from the live edge.
            self.anchor = arrival &+ jitter
            self.anchorTimestamp = timestamp
            deadline = arrival &+ jitter
            reanchored = true
        }
        let decided = max(deadline, arrival, self.lastDeadline)
        self.lastDeadline = decided
        return Decision(deadline: decided, missing: missing, reanchored: reanchored)
    }

    /// A chunk with `sequence`, ending at media time `endSamples`, is on its way to listeners.
    mutating func sent(sequence: UInt64, endSamples: UInt64) {
        self.figures.lastSequence = sequence
        self.figures.positionSamples = endSamples
    }

    /// The sequence the next chunk should have, once one was scheduled.
    var nextSequence: UInt64? { self.expectedSequence }

    /// Chunks up to `sequence`, the last with media time `timestamp`, were replayed: sent at
    /// `arrival` as a new listener's burst. The stream is anchored there, so the next live chunks
    /// follow the burst at 1× (the listener's clock starts with it) without counting a gap. The
    /// encoder published the last of them before it replayed it, so the next arrives in time.
    mutating func replayed(through sequence: UInt64, timestamp: UInt64, arrival: UInt64) {
        self.expectedSequence = sequence &+ 1
        self.anchor = arrival
        self.anchorTimestamp = timestamp
        self.lastArrival = arrival
        self.lastDeadline = max(self.lastDeadline, arrival)
    }

    /// The deadline of a `start` or `end` arriving at `arrival`: one jitter delay on, and never
    /// before a chunk already scheduled.
    mutating func scheduleEvent(arrival: UInt64, jitter: UInt64) -> UInt64 {
        self.lastArrival = arrival
        self.lastDeadline = max(arrival &+ jitter, self.lastDeadline)
        return self.lastDeadline
    }

    /// The deadline of a mark arriving at `arrival`: right behind the chunk before it (the latest deadline handed
    /// out), or at once when that chunk has gone out already. No jitter delay: the chunk before it had it.
    mutating func scheduleMark(arrival: UInt64) -> UInt64 {
        self.lastArrival = arrival
        self.lastDeadline = max(arrival, self.lastDeadline)
        return self.lastDeadline
    }

    private func deadline(of timestamp: UInt64) -> UInt64 {
        let elapsed = MediaClock.nanoseconds(samples: timestamp &- self.anchorTimestamp, sampleRate: self.sampleRate)
        return (self.anchor ?? 0) &+ elapsed
    }
}
