/// A fixed-bucket histogram of durations in microseconds: 0.1 ms buckets up to 1 s, 10 ms buckets
/// up to 60 s, and one bucket beyond.
///
/// Recording is an index computation and an increment: no allocation, no lock. Keep one per event
/// loop (or per thread) and ``merge(_:)`` them at the end. Percentiles are exact to the bucket:
/// they report the bucket's upper edge, never more than the largest value recorded.
public struct LatencyHistogram: Sendable, Hashable {
    /// Width of the fine buckets, in microseconds (0.1 ms).
    public static let fineWidth: UInt64 = 100
    /// Where the fine buckets end, in microseconds (1 s).
    public static let fineLimit: UInt64 = 1_000_000
    /// Width of the coarse buckets, in microseconds (10 ms).
    public static let coarseWidth: UInt64 = 10_000
    /// Where the coarse buckets end, in microseconds (60 s); values beyond share one last bucket.
    public static let coarseLimit: UInt64 = 60_000_000

    private static let fineCount = Int(fineLimit / fineWidth)
    private static let coarseCount = Int((coarseLimit - fineLimit) / coarseWidth)

    private var buckets: [UInt32]
    /// How many values were recorded.
    public private(set) var count: UInt64 = 0
    /// The sum of the values recorded, in microseconds.
    public private(set) var sum: UInt64 = 0
    /// The largest value recorded, in microseconds (0 when empty).
    public private(set) var max: UInt64 = 0

    /// An empty histogram.
    public init() {
        self.buckets = [UInt32](repeating: 0, count: Self.fineCount + Self.coarseCount + 1)
    }

    /// Records one value.
    ///
    /// - Parameter microseconds: the duration; negative values count as 0.
    @inline(__always)
    public mutating func record(microseconds: Int64) {
        let value = UInt64(Swift.max(0, microseconds))
        self.buckets[Self.bucket(of: value)] &+= 1
        self.count &+= 1
        self.sum &+= value
        if value > self.max { self.max = value }
    }

    /// Records a duration given in nanoseconds.
    @inline(__always)
    public mutating func record(nanoseconds: Int64) {
        self.record(microseconds: nanoseconds / 1000)
    }

    /// Adds every value of `other` to this histogram.
    public mutating func merge(_ other: LatencyHistogram) {
        for index in self.buckets.indices { self.buckets[index] &+= other.buckets[index] }
        self.count &+= other.count
        self.sum &+= other.sum
        self.max = Swift.max(self.max, other.max)
    }

    /// The mean in microseconds (0 when empty).
    public var mean: Double { self.count == 0 ? 0 : Double(self.sum) / Double(self.count) }

    /// The value below or at which a fraction `quantile` of the values lie, in microseconds.
    ///
    /// - Parameter quantile: between 0 and 1, e.g. 0.99.
    /// - Returns: the upper edge of the bucket holding that rank, capped at ``max``; 0 when empty.
    public func percentile(_ quantile: Double) -> UInt64 {
        guard self.count > 0 else { return 0 }
        let rank = Swift.max(1, UInt64((Double(self.count) * Swift.min(1, Swift.max(0, quantile))).rounded(.up)))
        var seen: UInt64 = 0
        for (index, bucketCount) in self.buckets.enumerated() {
            seen += UInt64(bucketCount)
            if seen >= rank { return Swift.min(self.max, Self.upperEdge(of: index)) }
        }
        return self.max
    }

    @inline(__always)
    private static func bucket(of value: UInt64) -> Int {
        if value < Self.fineLimit { return Int(value / Self.fineWidth) }
        if value < Self.coarseLimit { return Self.fineCount + Int((value - Self.fineLimit) / Self.coarseWidth) }
        return Self.fineCount + Self.coarseCount
    }

    private static func upperEdge(of bucket: Int) -> UInt64 {
        if bucket < Self.fineCount { return UInt64(bucket + 1) * Self.fineWidth }
        if bucket < Self.fineCount + Self.coarseCount {
            return Self.fineLimit + UInt64(bucket - Self.fineCount + 1) * Self.coarseWidth
        }
        return UInt64.max
    }
}
