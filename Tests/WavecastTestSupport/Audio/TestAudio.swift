import Foundation
public import WavecastCore

/// Synthesised test audio: WAV files in any supported encoding, raw s16le PCM, and a spoken WAV from espeak-ng.
public enum TestAudio {
    /// Interleaved samples of a sine tone, the same in every channel.
    public static func sine(
        frames: Int,
        channels: Int = 1,
        sampleRate: Int,
        startFrame: Int = 0,
        frequency: Double = 440,
        amplitude: Double = 0.5
    ) -> [Float] {
        var samples: [Float] = []
        samples.reserveCapacity(frames * channels)
        for frame in startFrame..<(startFrame + frames) {
            let value = Float(amplitude * sin(2 * Double.pi * frequency * Double(frame) / Double(sampleRate)))
            for _ in 0..<channels {
                samples.append(value)
            }
        }
        return samples
    }

    /// A linear chirp, mono: from `startFrequency` Hz, rising `hertzPerSecond` each second. Unlike a steady tone it
    /// lines up with itself at one lag only, so cross-correlation (``bestLag(of:in:maxLag:)``) finds a delay.
    public static func chirp(
        frames: Int,
        sampleRate: Int,
        startFrequency: Double,
        hertzPerSecond: Double,
        amplitude: Double = 0.5
    ) -> [Float] {
        (0..<frames).map { frame in
            let time = Double(frame) / Double(sampleRate)
            return Float(amplitude * sin(2 * Double.pi * (startFrequency * time + 0.5 * hertzPerSecond * time * time)))
        }
    }

    /// The lag (in samples, 0...`maxLag`) at which `decoded` best matches `reference`, by normalised
    /// cross-correlation over the samples they share at that lag.
    ///
    /// - Returns: The lag, and the correlation there (1 for a perfect match).
    public static func bestLag(
        of reference: [Float],
        in decoded: [Float],
        maxLag: Int
    ) -> (lag: Int, correlation: Double) {
        var best = (lag: 0, correlation: -Double.infinity)
        for lag in 0...maxLag {
            let count = min(reference.count, decoded.count - lag)
            guard count > 0 else { break }
            var dot = 0.0
            var referenceEnergy = 0.0
            var decodedEnergy = 0.0
            for index in 0..<count {
                let (x, y) = (Double(reference[index]), Double(decoded[index + lag]))
                dot += x * y
                referenceEnergy += x * x
                decodedEnergy += y * y
            }
            let correlation = dot / max((referenceEnergy * decodedEnergy).squareRoot(), .leastNormalMagnitude)
            if correlation > best.correlation {
                best = (lag, correlation)
            }
        }
        return best
    }

    /// Sample frames in `seconds` of audio at `sampleRate`.
    public static func frames(seconds: Double, sampleRate: Int) -> Int {
        Int((seconds * Double(sampleRate)).rounded())
    }

    /// A WAV file holding `seconds` of a sine tone.
    public static func wav(
        seconds: Double,
        encoding: WAVFormat.Encoding = .signedPCM16,
        sampleRate: Int = 8000,
        channels: Int = 1,
        extensible: Bool = false
    ) -> [UInt8] {
        var builder = WAVBuilder(
            format: WAVFormat(encoding: encoding, sampleRate: sampleRate, channels: channels),
            extensible: extensible
        )
        if extensible {
            // SPEAKER_FRONT_LEFT | FRONT_RIGHT | FRONT_CENTER | … : the first `channels` speaker positions.
            builder.channelMask = UInt32((1 << channels) - 1)
        }
        let frames = Self.frames(seconds: seconds, sampleRate: sampleRate)
        return builder.build(samples: Self.sine(frames: frames, channels: channels, sampleRate: sampleRate))
    }

    /// Raw s16le PCM of a sine tone: `frames` sample frames starting at frame `startFrame`.
    public static func pcm(frames: Int, startFrame: Int = 0, sampleRate: Int = 8000, channels: Int = 1) -> [UInt8] {
        WAVBuilder.encode(
            Self.sine(frames: frames, channels: channels, sampleRate: sampleRate, startFrame: startFrame),
            as: .signedPCM16
        )
    }

    /// Writes a spoken WAV file made by espeak-ng to `path`, as a person testing Wavecast would make one.
    public static func writeVoiceWAV(at path: String, text: String = "Wavecast streams voice in real time.") throws {
        try ExternalTool.check(
            ExternalTool.run("espeak-ng", ["-w", path, text]),
            "espeak-ng (apt-get install espeak-ng)"
        )
    }
}
