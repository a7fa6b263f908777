import Testing
import WavecastCore

/// Integer clock math: sample counts to time without drift, and the monotonic clock.
struct MediaClockTests {
    @Test func convertsSamplesExactly() {
        #expect(MediaClock.nanoseconds(samples: 576, sampleRate: 8000) == 72_000_000)
        #expect(MediaClock.milliseconds(samples: 576, sampleRate: 8000) == 72)
        #expect(MediaClock.nanoseconds(samples: 1152, sampleRate: 44100) == 26_122_448)
        // A day of 8 kHz audio: no overflow and no accumulated rounding.
        #expect(MediaClock.nanoseconds(samples: 8000 * 86_400, sampleRate: 8000) == 86_400_000_000_000)
    }

    @Test func deadlinesComputedFromTotalsDoNotDrift() {
        // 10,000 chunks of 1152 samples at 44.1 kHz: the sum of rounded steps drifts, the total does not.
        var summed: UInt64 = 0
        for _ in 0..<10_000 { summed += MediaClock.nanoseconds(samples: 1152, sampleRate: 44100) }
        let total = MediaClock.nanoseconds(samples: 1152 * 10_000, sampleRate: 44100)
        #expect(total == 261_224_489_795)
        #expect(summed < total)
    }

    @Test func monotonicTimeMovesForward() {
        let earlier = MonotonicTime.now()
        let later = MonotonicTime.now()
        #expect(later >= earlier)
        #expect(later.nanoseconds(since: earlier) >= 0)
        #expect(earlier.nanoseconds(since: later) <= 0)
        #expect(earlier.advanced(byNanoseconds: 5).nanoseconds == earlier.nanoseconds + 5)
    }
}
