import Foundation
import WavecastCore

/// Test audio: a WAV file of a tone, 8 kHz mono 16-bit.
enum TestWAV {
    /// `seconds` of a 440 Hz tone, as a WAV file.
    static func tone(seconds: Double, sampleRate: Int = 8000) -> [UInt8] {
        let frames = Int((seconds * Double(sampleRate)).rounded())
        let samples = (0..<frames).map { Float(0.4 * sin(2 * Double.pi * 440 * Double($0) / Double(sampleRate))) }
        return WAVBuilder(format: WAVFormat(encoding: .signedPCM16, sampleRate: sampleRate, channels: 1))
            .build(samples: samples)
    }
}
