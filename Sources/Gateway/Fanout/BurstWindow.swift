import DequeModule

/// A stream's `start` and most recent chunks: the burst a new listener is sent at once, so a player can start at a
/// sync chunk without waiting for live audio to build up, and the chunks a client reconnecting with `?resume=` has
/// not had yet.
///
/// Kept on the bus thread for every subscribed stream (to give a loop its first listener's burst, and the loop its
/// window) and on each loop for the streams it has listeners of (for its later listeners). Each loop holds its own
/// copies of the frames (see ``FanoutGroup``), so the resume window costs memory per loop (docs/ARCHITECTURE.md).
struct BurstWindow {
    /// The `start` of the stream playing now.
    private(set) var start: OutgoingEvent?
    /// Recent chunks, oldest first, covering at most ``keepNanoseconds``.
    private(set) var recent: Deque<OutgoingEvent> = []
    private var recentNanoseconds: UInt64 = 0
    /// How much audio the burst covers at most (nanoseconds); 0 sends none.
    let limitNanoseconds: UInt64
    /// How much audio ``recent`` keeps (nanoseconds): the burst, or the resume window if longer.
    let keepNanoseconds: UInt64

    init(limitNanoseconds: UInt64, keepNanoseconds: UInt64 = 0) {
        self.limitNanoseconds = limitNanoseconds
        self.keepNanoseconds = max(limitNanoseconds, keepNanoseconds)
    }

    /// Nothing kept.
    var isEmpty: Bool { self.start == nil && self.recent.isEmpty }

    /// The chunks a new listener gets: the newest ``limitNanoseconds`` of them, from the first a decoder can start on.
    var burst: Deque<OutgoingEvent>.SubSequence {
        guard self.limitNanoseconds > 0 else { return self.recent[self.recent.endIndex...] }
        var start = self.recent.endIndex
        var covered: UInt64 = 0
        while start > self.recent.startIndex {
            let duration = self.recent[self.recent.index(before: start)].durationNanoseconds
            guard covered + duration <= self.limitNanoseconds else { break }
            covered += duration
            start = self.recent.index(before: start)
        }
        let newest = self.recent[start...]
        guard let firstSync = newest.firstIndex(where: \.isSync) else {
            return self.recent[self.recent.endIndex...]
        }
        return self.recent[firstSync...]
    }

    /// What a client that had chunk `point.sequence` of epoch `point.epoch` gets: the chunks after it, when the
    /// window still holds them all (`recovered`); otherwise how many it missed and why, and it gets a burst.
    func resume(from point: ResumePoint) -> ResumeOutcome {
        guard let newest = self.recent.last else {
            return ResumeOutcome(chunks: self.recent[...], recovered: false, missing: 0, reason: "nothing_kept")
        }
        guard newest.epoch == point.epoch else {
            return ResumeOutcome(chunks: self.burst, recovered: false, missing: 0, reason: "epoch_changed")
        }
        let newestSequence = newest.sequence
        guard point.sequence < newestSequence else {
            // Nothing newer than what it had (or it names a chunk not yet here): live audio follows.
            return ResumeOutcome(chunks: self.recent[self.recent.endIndex...], recovered: true, missing: 0, reason: nil)
        }
        let oldest = self.recent[self.recent.startIndex]
        guard oldest.epoch == point.epoch, oldest.sequence <= point.sequence + 1 else {
            let missing = oldest.epoch == point.epoch ? oldest.sequence - point.sequence - 1 : 0
            return ResumeOutcome(chunks: self.burst, recovered: false, missing: missing, reason: "window_passed")
        }
        // Sequences rise through the window: the first chunk after the point is found from the newest end.
        var first = self.recent.endIndex
        while first > self.recent.startIndex, self.recent[self.recent.index(before: first)].sequence > point.sequence {
            first = self.recent.index(before: first)
        }
        return ResumeOutcome(chunks: self.recent[first...], recovered: true, missing: 0, reason: nil)
    }

    /// Updates the window for `event`: a `start` or `end` empties it, a `clear` drops its chunks.
    mutating func remember(_ event: OutgoingEvent) {
        switch event.kind {
        case .start:
            self.start = event
            self.recent.removeAll()
            self.recentNanoseconds = 0
        case .chunk(_, _, let duration):
            guard self.keepNanoseconds > 0 else { return }
            self.recent.append(event)
            self.recentNanoseconds += duration
            while self.recentNanoseconds > self.keepNanoseconds, let oldest = self.recent.first {
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
