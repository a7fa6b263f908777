import Foundation
import Testing
import WavecastCore
import WavecastTestSupport

/// Measures the fixed delay that ``WAVVariantTests/lameDelaySamples`` subtracts, rather than taking it on trust.
struct LAMEDelayTests {
    /// A linear chirp, 300 Hz to 1500 Hz: unlike a steady tone it lines up with itself at one lag only.
    static func chirp(frames: Int, sampleRate: Int) -> [Float] {
        let seconds = Double(frames) / Double(sampleRate)
        return (0..<frames).map { frame in
            let time = Double(frame) / Double(sampleRate)
            let phase = 2 * Double.pi * (300 * time + 0.5 * (1200 / seconds) * time * time)
            return Float(0.5 * sin(phase))
        }
    }

    /// The lag (in `0..<maxLag`) at which `decoded` best matches `reference`, by normalised cross-correlation.
    static func bestLag(of reference: [Float], in decoded: [Int16], maxLag: Int) -> (lag: Int, correlation: Double) {
        var best = (lag: 0, correlation: -Double.infinity)
        for lag in 0..<maxLag {
            var dot = 0.0
            var energy = 0.0
            for index in reference.indices where lag + index < decoded.count {
                let sample = Double(decoded[lag + index]) / 32768
                dot += Double(reference[index]) * sample
                energy += sample * sample
            }
            let correlation = energy > 0 ? dot / energy.squareRoot() : 0
            if correlation > best.correlation {
                best = (lag, correlation)
            }
        }
        return best
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
        let (lag, correlation) = Self.bestLag(of: reference, in: decoded, maxLag: 2 * TestFormat.samplesPerFrame + 600)
        print("[measure] delay from \(inputSampleRate) Hz input: \(lag) samples at 8 kHz (correlation \(correlation))")
        #expect(abs(lag - WAVVariantTests.lameDelaySamples) <= 3, "measured delay \(lag) samples")
    }
}
