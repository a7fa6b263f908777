/// Turns raw s16le PCM (live input from `pcm` requests) into mono float samples for the encoder.
public enum SignedPCM16Decoder {
    /// Decodes interleaved little-endian 16-bit frames of `channels` channels, averaging them to mono, and appends
    /// them to `output`. A partial frame at the end is left out (the encoder refuses such a request before this).
    ///
    /// - Precondition: `channels` is at least 1.
    public static func decodeToMono(_ bytes: [UInt8], channels: Int, into output: inout [Float]) {
        precondition(channels >= 1, "s16le PCM needs at least one channel")
        let frameCount = bytes.count / (2 * channels)
        let start = output.count
        let scale = 1 / (32768 * Float(channels))
        // Grown once and written by index: an `append` per sample checks capacity and uniqueness each time, and
        // keeps the mono loop (every 20 ms telephony piece) from being vectorised.
        output.append(contentsOf: repeatElement(0, count: frameCount))
        output.withUnsafeMutableBufferPointer { samples in
            bytes.withUnsafeBytes { raw in
                if channels == 1 {
                    for frame in 0..<frameCount {
                        let sample = Int16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * frame, as: Int16.self))
                        samples[start + frame] = Float(sample) * scale
                    }
                    return
                }
                var offset = 0
                for frame in 0..<frameCount {
                    var sum: Int32 = 0
                    for _ in 0..<channels {
                        sum += Int32(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: Int16.self)))
                        offset += 2
                    }
                    samples[start + frame] = Float(sum) * scale
                }
            }
        }
    }
}
