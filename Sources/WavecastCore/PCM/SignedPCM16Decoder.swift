/// Turns raw s16le PCM (live input from `pcm` requests) into mono float samples for the encoder.
public enum SignedPCM16Decoder {
    /// Decodes interleaved little-endian 16-bit frames of `channels` channels, averaging them to mono.
    ///
    /// - Precondition: `bytes.count` is a whole number of frames (`channels × 2` bytes each).
    public static func decodeToMono(_ bytes: [UInt8], channels: Int, into output: inout [Float]) {
        let frameCount = bytes.count / (2 * channels)
        output.reserveCapacity(output.count + frameCount)
        let scale = 1 / (32768 * Float(channels))
        bytes.withUnsafeBytes { raw in
            var offset = 0
            for _ in 0..<frameCount {
                var sum: Int32 = 0
                for _ in 0..<channels {
                    let sample = Int16(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: Int16.self))
                    sum += Int32(sample)
                    offset += 2
                }
                output.append(Float(sum) * scale)
            }
        }
    }
}
