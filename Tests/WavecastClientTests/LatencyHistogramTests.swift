import Testing
import WavecastClient

struct LatencyHistogramTests {
    @Test func empty() {
        let histogram = LatencyHistogram()
        #expect(histogram.count == 0)
        #expect(histogram.percentile(0.5) == 0)
        #expect(histogram.max == 0)
    }

    @Test func percentilesOfEvenlySpreadValues() {
        var histogram = LatencyHistogram()
        // 1 ms … 100 ms, one value each.
        for milliseconds in 1...100 { histogram.record(microseconds: Int64(milliseconds * 1000)) }
        #expect(histogram.count == 100)
        // Value k ms sits in the bucket [k, k + 0.1) ms, reported by its upper edge but never above the max.
        #expect(histogram.percentile(0.5) == 50_100)
        #expect(histogram.percentile(0.99) == 99_100)
        #expect(histogram.percentile(1) == 100_000)
        #expect(histogram.percentile(0) == 1_100)
        #expect(histogram.max == 100_000)
        #expect(histogram.mean == 50_500)
    }

    @Test func fineBucketsResolveATenthOfAMillisecond() {
        var histogram = LatencyHistogram()
        for _ in 0..<98 { histogram.record(microseconds: 250) }
        histogram.record(microseconds: 12_345)
        histogram.record(microseconds: 12_399)
        #expect(histogram.percentile(0.5) == 300)
        #expect(histogram.percentile(0.98) == 300)
        #expect(histogram.percentile(0.99) == 12_399)
        #expect(histogram.max == 12_399)
    }

    @Test func coarseBucketsAndOverflow() {
        var histogram = LatencyHistogram()
        histogram.record(microseconds: 1_234_567)
        #expect(histogram.percentile(0.5) == 1_234_567)  // capped at the max
        histogram.record(microseconds: 2_000_000)
        #expect(histogram.percentile(0.5) == 1_240_000)  // 10 ms bucket [1.23 s, 1.24 s)
        histogram.record(microseconds: 3_600_000_000)
        #expect(histogram.percentile(1) == 3_600_000_000)
    }

    @Test func negativeCountsAsZero() {
        var histogram = LatencyHistogram()
        histogram.record(nanoseconds: -5_000_000)
        #expect(histogram.count == 1)
        #expect(histogram.max == 0)
        #expect(histogram.percentile(0.99) == 0)
    }

    @Test func mergeAddsCounts() {
        var first = LatencyHistogram()
        var second = LatencyHistogram()
        for _ in 0..<90 { first.record(microseconds: 1_000) }
        for _ in 0..<10 { second.record(microseconds: 40_000) }
        first.merge(second)
        #expect(first.count == 100)
        #expect(first.percentile(0.9) == 1_100)
        #expect(first.percentile(0.91) == 40_000)
        #expect(first.max == 40_000)
    }
}
