import MP3Encoding
import Testing
import WavecastCore
import WavecastTestSupport

/// The encoder's MP3 decoded by ffmpeg: pitch after resampling, duration, and the exact delay LAME adds.
///
/// Measured with LAME 3.100 and ffmpeg's mp3 decoder: the first input sample comes out 1105 samples into the decoded
/// PCM at 8 kHz (LAME's 576-sample encoder delay plus the decoder's 529-sample filterbank delay, 138 ms), at every
/// input rate tried, resampled or not. The flush pads with 576–1151 samples to end on a whole frame, so n input
/// samples decode to `ceil((n + 1152) / 576) × 576` samples. With no Info tag, ffmpeg trims none of it.
struct MP3StreamEncoderDecodeTests {
    typealias Support = MP3EncodingTestSupport

    /// Samples before the first input sample in ffmpeg's output: 576 (LAME) + 529 (decoder).
    static let decodedDelay = 1105

    /// A linear chirp from 200 Hz rising 1400 Hz per second: never periodic, so cross-correlation finds one lag.
    static func chirp(frames: Int, sampleRate: Int) -> [Float] {
        TestAudio.chirp(frames: frames, sampleRate: sampleRate, startFrequency: 200, hertzPerSecond: 1400)
    }

    @Test(arguments: [8000, 16000, 44100])
    func aOneKilohertzToneKeepsItsPitch(inputSampleRate: Int) throws {
        let input = TestAudio.sine(frames: 2 * inputSampleRate, sampleRate: inputSampleRate, frequency: 1000)
        let frames = try Support.encode(input, configuration: LAMEConfiguration(inputSampleRate: inputSampleRate))
        #expect(frames.allSatisfy { $0.header.sampleRate == 8000 && $0.header.version == .mpeg2_5 })

        let decoded = try Support.decodeWithFFmpeg(frames)
        #expect(decoded.count == frames.count * 576)
        let tone = decoded[(Self.decodedDelay + 800)..<(Self.decodedDelay + 16000 - 800)]
        let frequency = try #require(Support.toneFrequency(tone, sampleRate: 8000), "no tone in the decoded audio")
        #expect(abs(frequency - 1000) <= 20, "decoded tone is \(frequency) Hz")
        let peak = tone.map { abs($0) }.max() ?? 0
        #expect(peak > 0.3 && peak < 0.7, "a 0.5 full-scale tone decoded with peak \(peak)")
    }

    @Test(arguments: [8000, 11025, 16000, 44100, 48000])
    func decodesToTheInputDurationPlusLAMEsDelay(inputSampleRate: Int) throws {
        let seconds = 2
        let input = Self.chirp(frames: seconds * inputSampleRate, sampleRate: inputSampleRate)
        let frames = try Support.encode(input, configuration: LAMEConfiguration(inputSampleRate: inputSampleRate))
        let decoded = try Support.decodeWithFFmpeg(frames)

        let outputSamples = seconds * 8000
        #expect(frames.count == Support.expectedFrameCount(outputSamples: outputSamples, samplesPerFrame: 576))
        #expect(decoded.count == frames.count * 576)
        // Input, plus the encoder delay and at least as much padding, within one more frame.
        let extra = decoded.count - outputSamples - 1152
        #expect((0..<576).contains(extra), "\(decoded.count) decoded samples for \(outputSamples) input samples")

        let reference = Self.chirp(frames: outputSamples, sampleRate: 8000)
        let match = TestAudio.bestLag(of: reference, in: decoded, maxLag: 2000)
        #expect(match.lag == Self.decodedDelay, "input starts \(match.lag) samples into the decoded audio")
        #expect(match.correlation > 0.95, "correlation \(match.correlation) at lag \(match.lag)")
    }
}
