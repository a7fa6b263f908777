/// One-shot decoding and encoding of whole WAV files held in memory.
public enum WAVFile {
    /// Decodes a whole WAV file.
    ///
    /// - Parameters:
    ///   - bytes: The complete file.
    ///   - layout: Down-mix to mono (the default) or keep every channel interleaved.
    /// - Returns: The format, the samples and any warnings.
    /// - Throws: ``WAVError`` when the file is malformed or its format is not supported.
    public static func decode(
        _ bytes: [UInt8],
        layout: WAVChannelLayout = .downmixToMono
    ) throws(WAVError) -> DecodedWAV {
        var decoder = WAVStreamDecoder(layout: layout)
        let samples = try decoder.decode(bytes)
        let warnings = try decoder.finish()
        // finish() succeeds only once the fmt chunk has been read, so this guard never fails.
        guard let format = decoder.format else { throw .noFmtAtEnd(at: bytes.count) }
        return DecodedWAV(format: format, layout: layout, samples: samples, warnings: warnings)
    }

    /// Encodes interleaved samples as a plain WAV file.
    ///
    /// - Parameters:
    ///   - samples: Interleaved samples in -1...1 (values outside are clipped); `format.channels` per frame.
    ///   - format: The encoding, rate and channel count to write.
    /// - Returns: The bytes of a complete WAV file.
    public static func encode(_ samples: [Float], format: WAVFormat) -> [UInt8] {
        WAVBuilder(format: format).build(samples: samples)
    }
}
