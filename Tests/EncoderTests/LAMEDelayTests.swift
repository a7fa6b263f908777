import Foundation
import Testing
import WavecastCore
import WavecastTestSupport

/// Measures the fixed delay that ``WAVVariantTests/lameDelaySamples`` subtracts, rather than taking it on trust.
struct LAMEDelayTests {
    /// A linear chirp, 300 Hz to 1500 Hz over its length.
    static func chirp(frames: Int, sampleRate: Int) -> [Float] {
        let seconds = Double(frames) / Double(sampleRate)
        return TestAudio.chirp(
            frames: frames,
            sampleRate: sampleRate,
            startFrequency: 300,
            hertzPerSecond: 1200 / seconds
        )
    }

    @Test("LAME plus ffmpeg delay the audio by a fixed 1105 samples at 8 kHz", arguments: [8000, 16000, 48000])
    func delayIsFixed(inputSampleRate: Int) async throws {
        let inputFrames = TestAudio.frames(seconds: 0.5, sampleRate: inputSampleRate)
        let signal = Self.chirp(frames: inputFrames, sampleRate: inputSampleRate)
        let wav = WAVBuilder(format: WAVFormat(encoding: .float32, sampleRate: inputSampleRate, channels: 1))
            .build(samples: signal)
        let recorded = try await EncoderHarness.with { encoder in
            let reply = try await encoder.play("delay", wav)
            #expect(reply.isOK, "play: \(reply)")
            return try await encoder.bus.waitForRecording(of: "delay", timeout: .seconds(10))
        }
        let decoded = try await FFmpeg.decode(mp3: recorded.mp3)
        // Compare at 8 kHz: the same chirp, as it would be sampled at the output rate.
        let reference = Self.chirp(frames: inputFrames * 8000 / inputSampleRate, sampleRate: 8000)
        let (lag, correlation) = TestAudio.bestLag(
            of: reference,
            in: decoded.map { Float($0) / 32768 },
            maxLag: 2 * TestFormat.samplesPerFrame + 600
        )
        print("[measure] delay from \(inputSampleRate) Hz input: \(lag) samples at 8 kHz (correlation \(correlation))")
        #expect(abs(lag - WAVVariantTests.lameDelaySamples) <= 3, "measured delay \(lag) samples")
    }
}
