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

    @Test func downmixesSigned16PCM() {
        var samples: [Float] = []
        // Two stereo frames: (16384, -16384) averages to 0; (32767, 32767) to almost 1.
        let bytes: [UInt8] = [0x00, 0x40, 0x00, 0xC0, 0xFF, 0x7F, 0xFF, 0x7F]
        SignedPCM16Decoder.decodeToMono(bytes, channels: 2, into: &samples)
        #expect(samples.count == 2)
        #expect(samples[0] == 0)
        #expect(abs(samples[1] - 32767 / 32768) < 1e-6)
    }

    @Test func decodesMonoSigned16PCMAfterWhatIsThere() {
        var samples: [Float] = [0.5]
        // 0, the extremes, -1 and a trailing odd byte (not a whole frame: ignored).
        let bytes: [UInt8] = [0x00, 0x00, 0xFF, 0x7F, 0x00, 0x80, 0xFF, 0xFF, 0x12]
        SignedPCM16Decoder.decodeToMono(bytes, channels: 1, into: &samples)
        #expect(samples == [0.5, 0, 32767 / 32768, -1, -1 / 32768])
    }

    @Test func downmixesThreeChannels() {
        var samples: [Float] = []
        // One frame of three channels: (-32768 + 32767 + 3) / 3 / 32768.
        let bytes: [UInt8] = [0x00, 0x80, 0xFF, 0x7F, 0x03, 0x00]
        SignedPCM16Decoder.decodeToMono(bytes, channels: 3, into: &samples)
        #expect(samples.count == 1)
        #expect(abs(samples[0] - 2 / (32768 * 3)) < 1e-9)
    }
}
