/// What one hop through the bus proxy adds, from the same bus messages received twice by one process: once
/// straight from the encoder, once through the proxy, each arrival stamped on the same monotonic clock.
///
/// A message is named by a key unique on the bus (a stream's topic and a chunk's sequence number). Its added
/// latency is its arrival through the proxy minus its arrival direct; both sockets are read by threads of their
/// own, so neither waits behind the other. Only messages that arrived direct inside the measurement window count,
/// so the ramp before it and the stop after it are left out.
public struct ProxyHop: Sendable, Equatable {
    /// Added latency of each message that came both ways, in nanoseconds, in no particular order.
    public var added: [Int64]
    /// Messages that came direct inside the window.
    public var direct: Int
    /// Of those, how many never came through the proxy (dropped on the way, or still on it when it stopped).
    public var missing: Int

    /// Pairs the two arrival lists.
    ///
    /// - Parameters:
    ///   - direct: Each message's key and arrival (monotonic nanoseconds) straight from the encoder.
    ///   - proxied: The same through the proxy.
    ///   - window: The arrivals direct that count.
    public init(direct: [(key: String, arrival: Int64)], proxied: [(key: String, arrival: Int64)], window: Range<Int64>)
    {
        var proxiedArrival: [String: Int64] = [:]
        proxiedArrival.reserveCapacity(proxied.count)
        for entry in proxied where proxiedArrival[entry.key] == nil {
            proxiedArrival[entry.key] = entry.arrival
        }
        var added: [Int64] = []
        var counted = 0
        var missing = 0
        for entry in direct where window.contains(entry.arrival) {
            counted += 1
            if let through = proxiedArrival[entry.key] {
                added.append(through - entry.arrival)
            } else {
                missing += 1
            }
        }
        self.added = added
        self.direct = counted
        self.missing = missing
    }

    /// The added latency at `quantile` (0...1, nearest rank), in nanoseconds; `nil` when nothing was paired.
    public func addedNanoseconds(at quantile: Double) -> Int64? {
        guard !self.added.isEmpty else { return nil }
        let sorted = self.added.sorted()
        let rank = Int((Double(sorted.count - 1) * quantile).rounded())
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }
}
