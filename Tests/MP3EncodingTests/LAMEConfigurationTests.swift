import MP3Encoding
import Testing
import WavecastCore

/// Settings LAME would refuse or silently change are reported as `MP3EncoderError`, not encoded otherwise.
///
/// LAME 3.100's `lame_init_params` fails for almost nothing: it moves a bitrate to the nearest one it has, an output
/// rate to the nearest legal one, and clamps quality. `MP3StreamEncoder` reads the settings back and throws instead.
struct LAMEConfigurationTests {
    struct Rejected: Sendable, CustomTestStringConvertible {
        var configuration: LAMEConfiguration
        /// Text the error's description must contain.
        var explanation: String
        var testDescription: String { self.explanation }
    }

    @Test(arguments: [
        // Not a Layer III bitrate: LAME would use 8 kbit/s.
        Rejected(configuration: LAMEConfiguration(bitrate: 7), explanation: "8000 Hz 8 kbit/s out"),
        // In MPEG-2.5's table (8–160) but LAME stops at 64 kbit/s at 8 kHz.
        Rejected(configuration: LAMEConfiguration(bitrate: 80), explanation: "8000 Hz 64 kbit/s out"),
        Rejected(configuration: LAMEConfiguration(bitrate: 160), explanation: "8000 Hz 64 kbit/s out"),
        // MPEG-1 has no 8 kbit/s: LAME would use 32.
        Rejected(
            configuration: LAMEConfiguration(inputSampleRate: 44100, outputSampleRate: 44100, bitrate: 8),
            explanation: "44100 Hz 32 kbit/s out"
        ),
        Rejected(configuration: LAMEConfiguration(bitrate: 0), explanation: "8000 Hz 8 kbit/s out"),
        // Not an MP3 sample rate.
        Rejected(
            configuration: LAMEConfiguration(outputSampleRate: 7000),
            explanation: "7000 Hz 8 kbit/s out, quality 5: LAME refuses the output sample rate"
        ),
        // 0 asks LAME to choose a rate; LAME would pick 8000 Hz.
        Rejected(
            configuration: LAMEConfiguration(outputSampleRate: 0),
            explanation: "LAME would encode 8000 Hz in, 8000 Hz"
        ),
        // The setter refuses a rate below 1 and would leave LAME's default of 44100 Hz in place.
        Rejected(
            configuration: LAMEConfiguration(inputSampleRate: 0),
            explanation: "LAME refuses the input sample rate"
        ),
        Rejected(
            configuration: LAMEConfiguration(inputSampleRate: -8000),
            explanation: "LAME refuses the input sample rate"
        ),
        Rejected(configuration: LAMEConfiguration(quality: 10), explanation: "quality must be 0 (best) to 9"),
        Rejected(configuration: LAMEConfiguration(quality: -1), explanation: "quality must be 0 (best) to 9"),
    ])
    func settingsLAMEWouldChangeThrow(_ rejected: Rejected) throws {
        let error = try #require(throws: MP3EncoderError.self) {
            try MP3StreamEncoder(configuration: rejected.configuration)
        }
        #expect(error.description.hasPrefix("LAME rejected the encoder settings ("), "\(error)")
        #expect(error.description.contains(rejected.explanation), "\(error)")
    }

    @Test(arguments: [
        LAMEConfiguration(),
        LAMEConfiguration(bitrate: 64),
        LAMEConfiguration(inputSampleRate: 48000, quality: 0),
        LAMEConfiguration(inputSampleRate: 11025, quality: 9, bitReservoir: true),
        LAMEConfiguration(inputSampleRate: 16000, outputSampleRate: 16000, bitrate: 160),
        LAMEConfiguration(inputSampleRate: 44100, outputSampleRate: 44100, bitrate: 320),
        LAMEConfiguration(inputSampleRate: 44100, outputSampleRate: 48000, bitrate: 32),
    ])
    func settingsLAMEKeepsAreAccepted(_ configuration: LAMEConfiguration) throws {
        let encoder = try MP3StreamEncoder(configuration: configuration)
        #expect(encoder.configuration == configuration)
        let frames = try encoder.encode([Float](repeating: 0, count: configuration.inputSampleRate)) + encoder.finish()
        let first = try #require(frames.first)
        #expect(first.header.sampleRate == configuration.outputSampleRate)
        #expect(first.header.bitrate == configuration.bitrate)
    }

    @Test func defaultsAreWavecastsVoiceFormat() {
        let configuration = LAMEConfiguration()
        #expect(configuration.inputSampleRate == 8000)
        #expect(configuration.outputSampleRate == 8000)
        #expect(configuration.bitrate == 8)
        #expect(configuration.quality == 5)
        #expect(!configuration.bitReservoir)
    }
}
