import Testing
import WavecastCore

/// Live `pcm` input: interleaved s16le frames averaged to mono floats, appended to what the buffer holds.
struct SignedPCM16DecoderTests {
    @Test func downmixesSigned16PCM() {
        var samples: [Float] = []
        // Two stereo frames: (16384, -16384) averages to 0; (32767, 32767) to almost 1.
        let bytes: [UInt8] = [0x00, 0x40, 0x00, 0xC0, 0xFF, 0x7F, 0xFF, 0x7F]
        SignedPCM16Decoder.decodeToMono(bytes, channels: 2, into: &samples)
        #expect(samples.count == 2)
        #expect(samples[0] == 0)
        #expect(abs(samples[1] - 32767 / 32768) < 1e-6)
    }

    @Test func appendsMonoAfterTheSamplesAlreadyThere() {
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
