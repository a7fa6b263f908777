import Foundation
import MP3Encoding
import WavecastCore
import WavecastTestSupport

/// Signals, the encoder driven end to end, and ffmpeg as the reference decoder.
enum MP3EncodingTestSupport {
    /// White noise whose loudness rises and falls four times a second, like syllables, so some frames need
    /// more bits than others.
    static func speechLikeNoise(sampleRate: Int, count: Int, seed: UInt64 = 1) -> [Float] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { index in
            let time = Double(index) / Double(sampleRate)
            let envelope = 0.05 + 0.6 * pow(max(0, sin(2 * Double.pi * 4 * time)), 2)
            return Float(envelope * Double.random(in: -1...1, using: &generator))
        }
    }

    /// Encodes `samples` in one call, then flushes.
    static func encode(_ samples: [Float], configuration: LAMEConfiguration) throws -> [MP3Frame] {
        let encoder = try MP3StreamEncoder(configuration: configuration)
        return try encoder.encode(samples) + encoder.finish()
    }

    /// The frame count LAME 3.100 produces for `count` output-rate samples with reservoir off or on.
    ///
    /// It emits its 576-sample encoder delay first and, on flush, at least 576 more samples of padding, rounded up to
    /// whole frames: `ceil((count + 1152) / samplesPerFrame)` (measured for MPEG-2.5; MPEG-1 and 2 agree).
    static func expectedFrameCount(outputSamples count: Int, samplesPerFrame: Int) -> Int {
        (count + 1152 + samplesPerFrame - 1) / samplesPerFrame
    }

    /// Decodes `frames` with ffmpeg to mono samples at `sampleRate`, as floats (ffmpeg is the reference decoder).
    static func decodeWithFFmpeg(_ frames: [MP3Frame], sampleRate: Int = 8000) throws -> [Float] {
        try FFmpeg.decodeToFloats(mp3: frames.flatMap(\.bytes), sampleRate: sampleRate)
    }

    /// The frequency of the tone in `samples`, from the first and last upward zero crossings, interpolated.
    static func toneFrequency(_ samples: ArraySlice<Float>, sampleRate: Int) -> Double? {
        var crossings: [Double] = []
        var index = samples.startIndex
        while index + 1 < samples.endIndex {
            let (a, b) = (samples[index], samples[index + 1])
            if a < 0 && b >= 0 {
                crossings.append(Double(index) + Double(-a / (b - a)))
            }
            index += 1
        }
        guard let first = crossings.first, let last = crossings.last, crossings.count > 10 else {
            return nil
        }
        return Double(crossings.count - 1) * Double(sampleRate) / (last - first)
    }
}
