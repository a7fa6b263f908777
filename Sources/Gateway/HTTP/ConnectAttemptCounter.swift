/// Counts WebSocket connection attempts per source address in whole seconds, and says when an
/// address is over its cap (`--max-connects-per-second`). Pure: the caller gives the time.
///
/// Only the current second's counts are kept, so the table holds at most the addresses seen in
/// one second.
struct ConnectAttemptCounter: Sendable {
    /// Attempts allowed per address per second.
    let perSecond: Int
    private var second: Int64 = .min
    private var counts: [String: Int] = [:]

    init(perSecond: Int) {
        self.perSecond = perSecond
    }

    /// Counts an attempt from `address` at `nanoseconds` (monotonic); false when it is over the cap.
    mutating func admit(_ address: String, nanoseconds: UInt64) -> Bool {
        self.moveTo(nanoseconds)
        let count = self.counts[address, default: 0] + 1
        self.counts[address] = count
        return count <= self.perSecond
    }

    /// Whether `address` is over the cap this second, without counting an attempt.
    func isOver(_ address: String, nanoseconds: UInt64) -> Bool {
        Int64(nanoseconds / 1_000_000_000) == self.second && self.counts[address, default: 0] > self.perSecond
    }

    private mutating func moveTo(_ nanoseconds: UInt64) {
        let second = Int64(nanoseconds / 1_000_000_000)
        if second != self.second {
            self.second = second
            self.counts.removeAll(keepingCapacity: true)
        }
    }
}
