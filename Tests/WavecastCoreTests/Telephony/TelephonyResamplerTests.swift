import Testing
import WavecastTestSupport

@testable import WavecastCore

#if canImport(Glibc)
import Glibc
#endif

/// The 8 kHz resampler: what passes, what is kept out, and that feeding it in pieces changes nothing.
struct TelephonyResamplerTests {
    static func tone(_ frequency: Double, seconds: Double, rate: Int) -> [Float] {
        TestAudio.sine(
            frames: TestAudio.frames(seconds: seconds, sampleRate: rate),
            sampleRate: rate,
            frequency: frequency
        )
    }

    static func rms(_ samples: ArraySlice<Float>) -> Double {
        (samples.reduce(0) { $0 + Double($1) * Double($1) } / Double(max(1, samples.count))).squareRoot()
    }

    static func resample(_ input: [Float], rate: Int, pieces: Int = 1) -> [Float] {
        var resampler = TelephonyResampler(inputRate: rate)
        var output: [Float] = []
        let size = (input.count + pieces - 1) / pieces
        for start in stride(from: 0, to: input.count, by: size) {
            resampler.process(Array(input[start..<min(input.count, start + size)]), into: &output)
        }
        resampler.finish(into: &output)
        return output
    }

    @Test(arguments: [16000, 22050, 44100, 48000, 11025, 8001])
    func speechBandPassesWithUnityGain(rate: Int) {
        let output = Self.resample(Self.tone(1000, seconds: 1, rate: rate), rate: rate)
        let level = Self.rms(output[400..<7600])
        // 0.5 peak is 0.3536 RMS; within 0.1 dB.
        #expect(abs(20 * log10(level / (0.5 / 2.0.squareRoot()))) < 0.1, "rate \(rate): \(level)")
    }

    @Test(arguments: [16000, 44100, 48000])
    func whatWouldAliasIsKeptOut(rate: Int) {
        // 5 kHz would fold to 3 kHz at 8 kHz: it must be ≥ 50 dB down.
        let output = Self.resample(Self.tone(5000, seconds: 1, rate: rate), rate: rate)
        let level = Self.rms(output[400..<7600])
        #expect(20 * log10(level / 0.3536) < -50, "rate \(rate): \(20 * log10(level / 0.3536)) dB")
    }

    @Test(arguments: [16000, 44100, 8000, 22050])
    func piecesGiveTheSameOutputAsAWhole(rate: Int) {
        let input = Self.tone(700, seconds: 0.77, rate: rate)
        let whole = Self.resample(input, rate: rate)
        let pieces = Self.resample(input, rate: rate, pieces: 37)
        #expect(whole == pieces)
        // One output sample per 1/8000 s of input, nothing lost and nothing added.
        let expected = (input.count * 8000 + rate - 1) / rate
        #expect(abs(whole.count - expected) <= 1, "\(whole.count) vs \(expected)")
    }

    @Test func eightKilohertzPassesThroughUntouched() {
        let input = Self.tone(440, seconds: 0.1, rate: 8000)
        #expect(Self.resample(input, rate: 8000, pieces: 3) == input)
    }

    @Test func theToneStaysInTime() {
        // A 16 kHz impulse at input sample 1600 (0.1 s) lands at output sample 800.
        var input = [Float](repeating: 0, count: 3200)
        input[1600] = 1
        let output = Self.resample(input, rate: 16000)
        let peak = output.indices.max { abs(output[$0]) < abs(output[$1]) }
        #expect(peak == 800)
    }
}
