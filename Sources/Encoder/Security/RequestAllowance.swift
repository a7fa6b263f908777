import WavecastCore

/// A token bucket for one feeder key's requests: it refills at the key's rate and holds at most one
/// second's worth, so a key may burst briefly but not sustain more than its rate. Pure: the caller
/// gives the time.
struct RequestAllowance: Sendable, Hashable {
    /// Requests that may be sent now (fractional between refills).
    private(set) var tokens: Double
    private var refilled: MonotonicTime

    /// A full bucket at `now`.
    init(perSecond: Int, now: MonotonicTime) {
        self.tokens = Double(perSecond)
        self.refilled = now
    }

    /// Takes one request's token at `now`; false (and nothing taken) when the bucket is empty.
    mutating func take(now: MonotonicTime, perSecond: Int) -> Bool {
        let elapsed = Double(max(0, now.nanoseconds(since: self.refilled))) / 1e9
        self.tokens = min(Double(perSecond), self.tokens + elapsed * Double(perSecond))
        self.refilled = max(self.refilled, now)
        guard self.tokens >= 1 else { return false }
        self.tokens -= 1
        return true
    }
}
