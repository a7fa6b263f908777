import Testing

@testable import ZeroMQ

/// How often a refused key is logged: once a minute per key, with a bounded memory (no clock, no socket).
struct CurveRefusalLogTests {
    @Test func aKeyIsLoggedOnceAMinuteAndEachKeyOnItsOwn() {
        var log = CurveRefusalLog()
        let refusals: [(key: String, second: Int64)] = [
            ("A", 100), ("A", 100), ("A", 159), ("B", 159), ("A", 160), ("A", 200),
        ]
        let logged = refusals.map { log.shouldLog($0.key, nowSeconds: $0.second) }
        // B has a minute of its own; A is logged again once 60 s have passed.
        #expect(logged == [true, false, false, true, true, false])
    }

    @Test func aFloodOfDistinctKeysKeepsTheMemoryBounded() {
        var log = CurveRefusalLog()
        let first = (0..<CurveRefusalLog.capacity).map { log.shouldLog("key-\($0)", nowSeconds: 0) }
        #expect(first.allSatisfy { $0 })
        let again = log.shouldLog("key-0", nowSeconds: 1)
        #expect(!again, "remembered while under capacity")
        // One more distinct key starts the memory afresh, so key-0 is logged once more.
        let oneMore = log.shouldLog("one-more", nowSeconds: 1)
        let afterwards = log.shouldLog("key-0", nowSeconds: 1)
        #expect(oneMore && afterwards)
    }
}
