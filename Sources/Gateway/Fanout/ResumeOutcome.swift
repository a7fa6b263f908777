import DequeModule

/// What a client resuming at a ``ResumePoint`` gets from a ``BurstWindow``.
struct ResumeOutcome {
    /// The chunks to send it: those after its point when `recovered`, else a burst.
    var chunks: Deque<OutgoingEvent>.SubSequence
    /// Every chunk after its point is in ``chunks``.
    var recovered: Bool
    /// Chunks it missed for good (known only when the epoch is the same).
    var missing: UInt64
    /// Why it was not recovered: `epoch_changed`, `window_passed` or `nothing_kept`.
    var reason: String?
}
