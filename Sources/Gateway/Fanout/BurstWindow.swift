import DequeModule

/// A stream's `start` and most recent chunks, covering at most the burst window: what a new listener is sent at
/// once, so a player can start at a sync chunk without waiting for live audio to build up.
///
/// Kept on the bus thread for every subscribed stream (to give a loop its first listener's burst) and on each loop
/// for the streams it has listeners of (for its later listeners).
struct BurstWindow {
    /// The `start` of the stream playing now.
    private(set) var start: OutgoingEvent?
    /// Recent chunks, oldest first.
    private(set) var recent: Deque<OutgoingEvent> = []
    private var recentNanoseconds: UInt64 = 0
    /// How much audio ``recent`` may cover (nanoseconds); 0 keeps no chunk.
    let limitNanoseconds: UInt64

    init(limitNanoseconds: UInt64) {
        self.limitNanoseconds = limitNanoseconds
    }

    /// Nothing kept.
    var isEmpty: Bool { self.start == nil && self.recent.isEmpty }

    /// The chunks a new listener gets: the recent ones from the first a decoder can start on.
    var burst: Deque<OutgoingEvent>.SubSequence {
        guard let firstSync = self.recent.firstIndex(where: \.isSync) else {
            return self.recent[self.recent.endIndex...]
        }
        return self.recent[firstSync...]
    }

    /// Updates the window for `event`: a `start` or `end` empties it, a `clear` drops its chunks.
    mutating func remember(_ event: OutgoingEvent) {
        switch event.kind {
        case .start:
            self.start = event
            self.recent.removeAll()
            self.recentNanoseconds = 0
        case .chunk(_, _, let duration):
            guard self.limitNanoseconds > 0 else { return }
            self.recent.append(event)
            self.recentNanoseconds += duration
            while self.recentNanoseconds > self.limitNanoseconds, let oldest = self.recent.first {
                self.recent.removeFirst()
                self.recentNanoseconds -= oldest.durationNanoseconds
            }
        case .end:
            self.start = nil
            self.recent.removeAll()
            self.recentNanoseconds = 0
        case .clear:
            // A listener joining after a barge-in must not hear the audio it cut.
            self.recent.removeAll()
            self.recentNanoseconds = 0
        case .mark:
            // For the listeners who had the audio before it; a later one is not asked to echo it.
            break
        }
    }
}
