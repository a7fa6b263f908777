/// Follows one connection's chunks: sequence gaps and duplicates, and how late each chunk arrives
/// against the media clock.
///
/// The media clock is the connection's own: anchored where the first chunk arrived minus its
/// timestamp, so chunk k is due at `anchor + timestamp_k`. A chunk that arrives *before* its due
/// time moves the anchor earlier (a join burst delivers several chunks at once; the last of them
/// shows where real time is) and counts as 0 late. A `start` event resets everything: a new stream
/// numbers its chunks from 0 again. Pure state, no I/O: one per connection, mutated on its loop.
public struct StreamTracker: Sendable, Hashable {
    /// What one chunk amounted to.
    public struct Observation: Sendable, Hashable {
        /// How late the chunk arrived against the media clock, in nanoseconds (never negative).
        public var latenessNanoseconds: Int64
        /// Sequence numbers skipped right before this chunk.
        public var missing: UInt64
        /// Whether the chunk's sequence number was not past the last one seen (a repeat or reorder).
        public var duplicate: Bool
        /// Whether this was the first chunk since the connection (or the stream) started.
        public var first: Bool
    }

    /// Chunks seen.
    public private(set) var chunks: UInt64 = 0
    /// Sequence numbers skipped, summed over all gaps.
    public private(set) var missing: UInt64 = 0
    /// Chunks whose sequence number was not past the last one seen.
    public private(set) var duplicates: UInt64 = 0
    /// How often an early chunk moved the anchor.
    public private(set) var reanchors: UInt64 = 0
    /// Sequence gaps (runs of missing numbers).
    public private(set) var gaps: UInt64 = 0
    private var nextSequence: UInt64?
    /// Arrival minus timestamp, in nanoseconds on the monotonic clock; `nil` before the first chunk.
    private var anchor: Int64?

    /// A tracker that has seen nothing.
    public init() {}

    /// Records a `start` event: the stream (re)starts, its numbering and clock with it.
    public mutating func streamStarted() {
        self.nextSequence = nil
        self.anchor = nil
    }

    /// Records one chunk.
    ///
    /// - Parameters:
    ///   - sequence: its `seq`, or `nil` (seed shape) to skip the sequence check.
    ///   - timestampMicroseconds: its `timestamp`; `nil` skips the lateness (reported as 0).
    ///   - arrivalNanoseconds: when it arrived, on the monotonic clock.
    /// - Returns: its lateness and sequence verdict.
    @inline(__always)
    public mutating func chunk(
        sequence: UInt64?,
        timestampMicroseconds: UInt64?,
        arrivalNanoseconds: UInt64
    ) -> Observation {
        let first = self.anchor == nil && self.nextSequence == nil
        self.chunks &+= 1
        var observation = Observation(latenessNanoseconds: 0, missing: 0, duplicate: false, first: first)
        if let sequence {
            if let expected = self.nextSequence {
                if sequence > expected {
                    observation.missing = sequence - expected
                    self.missing &+= observation.missing
                    self.gaps &+= 1
                    self.nextSequence = sequence &+ 1
                } else if sequence < expected {
                    observation.duplicate = true
                    self.duplicates &+= 1
                } else {
                    self.nextSequence = sequence &+ 1
                }
            } else {
                self.nextSequence = sequence &+ 1
            }
        }
        if let timestampMicroseconds {
            let offset = Int64(bitPattern: arrivalNanoseconds &- timestampMicroseconds &* 1000)
            if let anchor = self.anchor {
                if offset < anchor {
                    self.anchor = offset
                    self.reanchors &+= 1
                } else {
                    observation.latenessNanoseconds = offset - anchor
                }
            } else {
                self.anchor = offset
            }
        }
        return observation
    }
}
