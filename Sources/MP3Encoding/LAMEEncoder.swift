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
        self.handle = handle
        self.outputBuffer = .allocate(capacity: Self.piece + Self.piece / 4 + 7200)
        // LAME prints its own banner and warnings to stderr unless told otherwise.
        lame_set_errorf(handle) { _, _ in }
        lame_set_msgf(handle) { _, _ in }
        lame_set_debugf(handle) { _, _ in }
        lame_set_num_channels(handle, 1)
        lame_set_in_samplerate(handle, Int32(configuration.inputSampleRate))
        lame_set_out_samplerate(handle, Int32(configuration.outputSampleRate))
        lame_set_mode(handle, MONO)
        lame_set_VBR(handle, vbr_off)
        lame_set_brate(handle, Int32(configuration.bitrate))
        lame_set_quality(handle, Int32(configuration.quality))
        lame_set_bWriteVbrTag(handle, 0)
        lame_set_write_id3tag_automatic(handle, 0)
        lame_set_disable_reservoir(handle, configuration.bitReservoir ? 0 : 1)
        if lame_init_params(handle) < 0 {
            lame_close(handle)
            self.outputBuffer.deallocate()
            throw .initialisationFailed(
                "\(configuration.inputSampleRate) Hz in, \(configuration.outputSampleRate) Hz "
                    + "\(configuration.bitrate) kbit/s out, quality \(configuration.quality)"
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
