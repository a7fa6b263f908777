/// Order statistics of a set of measurements, by sorting a copy (fine for the few million values a run collects).
struct Percentiles {
    private let sorted: [Int64]

    /// Sorts `values` once so that any percentile can be read.
    init(_ values: [Int64]) {
        self.sorted = values.sorted()
    }

    /// The number of values.
    var count: Int { self.sorted.count }

    /// The value at quantile `quantile` (0...1, nearest rank), or `nil` when there are no values.
    func value(at quantile: Double) -> Int64? {
        guard !self.sorted.isEmpty else { return nil }
        let rank = Int((Double(self.sorted.count - 1) * quantile).rounded())
        return self.sorted[min(max(rank, 0), self.sorted.count - 1)]
    }

    /// The largest value, or `nil` when there are no values.
    var maximum: Int64? { self.sorted.last }
}
