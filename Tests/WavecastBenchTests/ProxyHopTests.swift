import Testing
import WavecastBench

/// Pairing the same bus messages received direct and through the proxy.
@Suite struct ProxyHopTests {
    @Test func pairsByKeyCountsOnlyTheWindowAndNamesWhatNeverCameThrough() {
        let direct: [(key: String, arrival: Int64)] = [
            ("a/0", 90),  // before the window: left out, though it came through
            ("a/1", 100), ("b/1", 110), ("a/2", 200), ("b/2", 210),
            ("a/3", 400),  // after the window
        ]
        let proxied: [(key: String, arrival: Int64)] = [
            ("a/0", 95), ("b/1", 150), ("a/1", 130), ("a/2", 260), ("a/2", 900),  // a repeat keeps the first
            ("a/3", 420),
        ]
        let hop = ProxyHop(direct: direct, proxied: proxied, window: 100..<300)
        #expect(hop.direct == 4)
        #expect(hop.missing == 1, "b/2 never came through")
        #expect(hop.added.sorted() == [30, 40, 60])
        #expect(hop.addedNanoseconds(at: 0.5) == 40)
        #expect(hop.addedNanoseconds(at: 1) == 60)
        #expect(ProxyHop(direct: [], proxied: [], window: 0..<1).addedNanoseconds(at: 0.5) == nil)
    }
}
