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
