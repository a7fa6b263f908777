import Foundation
import Testing
import WavecastCore
import WavecastTestSupport

/// Every WAV variant the reader supports, played through the encoder and decoded again by ffmpeg.
struct WAVVariantTests {
    /// One WAV file layout to play.
    struct Variant: Sendable, CustomTestStringConvertible {
        var encoding: WAVFormat.Encoding
        var sampleRate: Int
        var channels: Int
        var extensible = false
        var seconds = 0.4

        var testDescription: String {
            "\(self.extensible ? "extensible " : "")\(self.encoding) \(self.sampleRate) Hz \(self.channels) ch"
        }
    }

    static let variants: [Variant] = [
        Variant(encoding: .unsignedPCM8, sampleRate: 8000, channels: 1),
        Variant(encoding: .signedPCM16, sampleRate: 8000, channels: 1, seconds: 0.3),
        Variant(encoding: .signedPCM16, sampleRate: 11025, channels: 2),
        Variant(encoding: .signedPCM16, sampleRate: 48000, channels: 6),
        Variant(encoding: .signedPCM24, sampleRate: 44100, channels: 2),
        Variant(encoding: .signedPCM32, sampleRate: 16000, channels: 1, seconds: 0.5),
        Variant(encoding: .float32, sampleRate: 16000, channels: 6),
        Variant(encoding: .float64, sampleRate: 44100, channels: 1),
        Variant(encoding: .signedPCM24, sampleRate: 48000, channels: 6, extensible: true),
        Variant(encoding: .signedPCM16, sampleRate: 16000, channels: 2, extensible: true),
        Variant(encoding: .float32, sampleRate: 48000, channels: 2, extensible: true),
        Variant(encoding: .float64, sampleRate: 11025, channels: 1, extensible: true),
        Variant(encoding: .muLaw, sampleRate: 8000, channels: 1),
        Variant(encoding: .aLaw, sampleRate: 8000, channels: 2),
    ]

    /// LAME's fixed delay at 8 kHz output, in samples, as ffmpeg decodes a stream with no LAME tag.
    ///
    /// LAME's encoder delay is 576 samples plus the 529-sample MDCT/filterbank delay a decoder adds
    /// (1105 in all); ffmpeg trims nothing from a raw MPEG stream without a Xing/LAME header, so the
    /// decoded audio starts with 1105 samples of delay, and its length is whole frames: the delay plus
    /// the input plus LAME's padding up to the next frame boundary (less than one frame).
    static let lameDelaySamples = 1105

    @Test("every WAV variant plays and decodes to the input's duration", arguments: Self.variants)
    func variantDecodesToInputDuration(_ variant: Variant) async throws {
        let wav = TestAudio.wav(
            seconds: variant.seconds,
            encoding: variant.encoding,
            sampleRate: variant.sampleRate,
            channels: variant.channels,
            extensible: variant.extensible
        )
        let inputFrames = TestAudio.frames(seconds: variant.seconds, sampleRate: variant.sampleRate)
        let stream = "variant"
        let recorded = try await EncoderHarness.with { encoder in
            let reply = try await encoder.play(stream, wav)
            #expect(reply.isOK, "play: \(reply)")
            let input = reply.object("input")
            #expect(input?["sample_rate"]?.integerValue == variant.sampleRate)
            #expect(input?["channels"]?.integerValue == variant.channels)
            #expect(input?["duration_ms"]?.integerValue == Int((variant.seconds * 1000).rounded()))
            #expect(reply["warnings"] == nil, "no warnings for a well-formed file: \(reply)")
            let recorded = try await encoder.bus.waitForRecording(of: stream, timeout: .seconds(10))
            #expect(reply.integer("chunks") == recorded.chunks.count)
            #expect(reply.integer("frames") == recorded.chunks.count)
            #expect(reply.integer("duration_ms") == Int(recorded.totalSamples / 8))
            return recorded
        }
        expectWellFormed(recorded, stopped: false)

        let decoded = try await FFmpeg.decode(mp3: recorded.mp3)
        let expected = inputFrames * 8000 / variant.sampleRate
        let excess = decoded.count - Self.lameDelaySamples - expected
        print(
            "[measure] \(variant.testDescription): input \(expected) samples at 8 kHz, decoded \(decoded.count), "
                + "decoded − input = \(decoded.count - expected) (delay \(Self.lameDelaySamples) + padding \(excess))"
        )
        #expect(decoded.count == Int(recorded.totalSamples), "ffmpeg decodes every frame published")
        #expect(
            (0..<TestFormat.samplesPerFrame).contains(excess),
            "decoded \(decoded.count) samples: input \(expected) + delay \(Self.lameDelaySamples) + under one frame"
        )
        // The tone survives: the decoded audio past the delay is loud, not silence.
        let body = decoded.dropFirst(Self.lameDelaySamples).prefix(expected)
        let rms = (body.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(max(1, body.count))).squareRoot()
        #expect(rms > 0.2 * 32768 / 2.0.squareRoot(), "RMS \(rms) of a 0.5-amplitude tone")
    }
}
