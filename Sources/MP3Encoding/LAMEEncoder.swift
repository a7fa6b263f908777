import CLame

/// A LAME encoder handle: mono float PCM in, MP3 bytes out (not yet cut into frames).
///
/// LAME state is not thread safe, so the handle stays with whoever created it; it is not `Sendable`.
final class LAMEEncoder {
    private let handle: OpaquePointer
    /// LAME needs at most 1.25 × samples + 7200 bytes for one call; calls are capped at ``piece`` samples.
    private static let piece = 8192
    private let outputBuffer: UnsafeMutableBufferPointer<UInt8>

    init(configuration: LAMEConfiguration) throws(MP3EncoderError) {
        guard let handle = lame_init() else {
            throw .initialisationFailed("lame_init returned nil")
        }
        // Nothing is stored until LAME accepted the settings: a throw after that would run deinit as well.
        do throws(MP3EncoderError) {
            try Self.configure(handle, configuration)
        } catch {
            lame_close(handle)
            throw error
        }
        self.handle = handle
        self.outputBuffer = .allocate(capacity: Self.piece + Self.piece / 4 + 7200)
    }

    /// Applies `configuration` to a fresh handle and checks that LAME took every setting as given.
    ///
    /// LAME 3.100 rejects almost nothing: `lame_init_params` moves a bitrate to the nearest one it supports
    /// (7 → 8 kbit/s; 80–160 kbit/s at 8 kHz → 64) and an output rate to the nearest legal one, its setters keep
    /// the old value for a rate they refuse (0 Hz, or 44100 Hz input), and quality is clamped to 0…9. So each
    /// setter's status is checked and the values are read back after `lame_init_params`.
    private static func configure(_ handle: OpaquePointer, _ configuration: LAMEConfiguration) throws(MP3EncoderError) {
        let settings =
            "\(configuration.inputSampleRate) Hz in, \(configuration.outputSampleRate) Hz "
            + "\(configuration.bitrate) kbit/s out, quality \(configuration.quality)"
        guard (0...9).contains(configuration.quality) else {
            throw .initialisationFailed("\(settings): quality must be 0 (best) to 9 (fastest)")
        }
        // LAME prints its own banner and warnings to stderr unless told otherwise.
        lame_set_errorf(handle) { _, _ in }
        lame_set_msgf(handle) { _, _ in }
        lame_set_debugf(handle) { _, _ in }
        lame_set_write_id3tag_automatic(handle, 0)
        let statuses: KeyValuePairs<String, Int32> = [
            "channel count": lame_set_num_channels(handle, 1),
            "input sample rate": lame_set_in_samplerate(handle, Int32(clamping: configuration.inputSampleRate)),
            "output sample rate": lame_set_out_samplerate(handle, Int32(clamping: configuration.outputSampleRate)),
            "mode": lame_set_mode(handle, MONO),
            "constant bitrate": lame_set_VBR(handle, vbr_off),
            "bitrate": lame_set_brate(handle, Int32(clamping: configuration.bitrate)),
            "quality": lame_set_quality(handle, Int32(configuration.quality)),
            "Xing tag": lame_set_bWriteVbrTag(handle, 0),
            "bit reservoir": lame_set_disable_reservoir(handle, configuration.bitReservoir ? 0 : 1),
        ]
        if let refused = statuses.first(where: { $0.value != 0 }) {
            throw .initialisationFailed("\(settings): LAME refuses the \(refused.key)")
        }
        guard lame_init_params(handle) >= 0 else {
            throw .initialisationFailed(settings)
        }
        let actual = (
            input: Int(lame_get_in_samplerate(handle)),
            output: Int(lame_get_out_samplerate(handle)),
            bitrate: Int(lame_get_brate(handle))
        )
        guard
            actual.input == configuration.inputSampleRate, actual.output == configuration.outputSampleRate,
            actual.bitrate == configuration.bitrate
        else {
            throw .initialisationFailed(
                "\(settings): LAME would encode \(actual.input) Hz in, \(actual.output) Hz \(actual.bitrate) kbit/s out"
            )
        }
    }

    deinit {
        lame_close(self.handle)
        self.outputBuffer.deallocate()
    }

    /// Encodes `samples` (mono, full scale ±1) and calls `body` with the MP3 bytes LAME returns.
    func encode(
        _ samples: UnsafeBufferPointer<Float>,
        _ body: (UnsafeRawBufferPointer) throws(MP3EncoderError) -> Void
    ) throws(MP3EncoderError) {
        var offset = 0
        while offset < samples.count {
            let count = min(Self.piece, samples.count - offset)
            let base = samples.baseAddress! + offset
            let written = lame_encode_buffer_ieee_float(
                self.handle,
                base,
                base,
                Int32(count),
                self.outputBuffer.baseAddress,
                Int32(self.outputBuffer.count)
            )
            if written < 0 { throw .encodingFailed(status: written) }
            if written > 0 {
                try body(UnsafeRawBufferPointer(start: self.outputBuffer.baseAddress, count: Int(written)))
            }
            offset += count
        }
    }

    /// Encodes what LAME still buffers (padding the last frame with silence) and calls `body` with it.
    func flush(_ body: (UnsafeRawBufferPointer) throws(MP3EncoderError) -> Void) throws(MP3EncoderError) {
        let written = lame_encode_flush(self.handle, self.outputBuffer.baseAddress, Int32(self.outputBuffer.count))
        if written < 0 { throw .encodingFailed(status: written) }
        if written > 0 {
            try body(UnsafeRawBufferPointer(start: self.outputBuffer.baseAddress, count: Int(written)))
        }
    }

    /// Samples of silence LAME puts before the first input sample (its encoder delay).
    var encoderDelay: Int { Int(lame_get_encoder_delay(self.handle)) }
}
