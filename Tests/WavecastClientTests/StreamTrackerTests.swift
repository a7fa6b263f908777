import Testing
import WavecastClient

struct StreamTrackerTests {
    private let millisecond: UInt64 = 1_000_000

    @Test func realTimeChunksAreOnTime() {
        var tracker = StreamTracker()
        let base: UInt64 = 5_000 * self.millisecond
        for k in 0..<10 {
            let observation = tracker.chunk(
                sequence: UInt64(k),
                timestampMicroseconds: UInt64(k * 72_000),
                arrivalNanoseconds: base + UInt64(k) * 72 * self.millisecond + (k == 5 ? 3 * self.millisecond : 0)
            )
            #expect(observation.first == (k == 0))
            #expect(observation.latenessNanoseconds == (k == 5 ? Int64(3 * self.millisecond) : 0))
        }
        #expect(tracker.missing == 0)
        #expect(tracker.duplicates == 0)
    }

    @Test func aJoinBurstMovesTheAnchor() {
        var tracker = StreamTracker()
        let base: UInt64 = 1_000 * self.millisecond
        // Chunks 10…14 arrive at once (the burst), then 15… in real time.
        for k in 10...14 {
            let observation = tracker.chunk(
                sequence: UInt64(k),
                timestampMicroseconds: UInt64(k * 72_000),
                arrivalNanoseconds: base
            )
            #expect(observation.latenessNanoseconds == 0)
        }
        #expect(tracker.reanchors == 4)
        let late = tracker.chunk(
            sequence: 15,
            timestampMicroseconds: 15 * 72_000,
            arrivalNanoseconds: base + 72 * self.millisecond + 2 * self.millisecond
        )
        #expect(late.latenessNanoseconds == Int64(2 * self.millisecond))
    }

    @Test func gapsAndDuplicates() {
        var tracker = StreamTracker()
        for sequence: UInt64 in [0, 1, 4, 4, 3, 5, 9] {
            _ = tracker.chunk(sequence: sequence, timestampMicroseconds: nil, arrivalNanoseconds: 0)
        }
        #expect(tracker.missing == 2 + 3)
        #expect(tracker.gaps == 2)
        #expect(tracker.duplicates == 2)
        #expect(tracker.chunks == 7)
    }

    @Test func aNewStartResetsNumberingAndClock() {
        var tracker = StreamTracker()
        _ = tracker.chunk(sequence: 40, timestampMicroseconds: 40 * 72_000, arrivalNanoseconds: 10 * self.millisecond)
        tracker.streamStarted()
        let first = tracker.chunk(sequence: 0, timestampMicroseconds: 0, arrivalNanoseconds: 500 * self.millisecond)
        #expect(first.first)
        #expect(first.duplicate == false)
        let next = tracker.chunk(sequence: 1, timestampMicroseconds: 72_000, arrivalNanoseconds: 580 * self.millisecond)
        #expect(next.latenessNanoseconds == Int64(8 * self.millisecond))
        #expect(tracker.duplicates == 0)
    }
}
