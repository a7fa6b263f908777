/// G.711 µ-law (ITU-T G.711, the telephone networks' 8 kHz companding in North America and Japan, and what Twilio
/// Media Streams carries as `audio/x-mulaw`): one byte per sample.
///
/// The same bytes as the CCITT reference sources distributed by Sun Microsystems (`g711.c`), which Python's
/// `audioop.lin2ulaw` and most telephony stacks use: a 16-bit sample is shifted right by 2 (arithmetically, so −1
/// and +1 are not mirror images), clipped to 8159, biased by 33, split into a segment (3 bits) and a mantissa
/// (4 bits), and the byte is inverted. `MuLawTests` checks all 65,536 inputs against that reference and against
/// Python's `audioop` where it exists.
public enum MuLaw {
    /// The byte of a zero sample: digital silence is `0xFF`, not `0x00`.
    public static let silence: UInt8 = 0xFF

    /// Encodes one 16-bit sample.
    ///
    /// - Parameters:
    ///   - sample: A signed 16-bit linear sample.
    /// - Returns: Its µ-law byte.
    @inlinable
    public static func encode(_ sample: Int16) -> UInt8 {
        var value = Int32(sample) >> 2
        let mask: Int32
        if value < 0 {
            value = -value
            mask = 0x7F
        } else {
            mask = 0xFF
        }
        // Clipped, biased, and kept below 0x2000: the reference saturates 8159 + 33 to the top code.
        value = min(min(value, 8159) + 33, 0x1FFF)
        // The segment is where the highest set bit is, counted from bit 5 (33...63 is segment 0), so 0...7.
        let highestBit = Int32(Int32.bitWidth - 1 - value.leadingZeroBitCount)
        let segment = highestBit - 5
        let mantissa = (value >> (segment + 1)) & 0x0F
        return UInt8(truncatingIfNeeded: ((segment << 4) | mantissa) ^ mask)
    }

    /// Encodes one sample in −1...1 (values outside are clipped), rounding to the nearest 16-bit value first.
    ///
    /// - Parameters:
    ///   - sample: A linear sample, full scale ±1.
    /// - Returns: Its µ-law byte.
    @inlinable
    public static func encode(_ sample: Float) -> UInt8 {
        let scaled = (sample * 32768).rounded()
        let clipped = max(-32768, min(32767, scaled))
        return Self.encode(Int16(clipped))
    }

    /// Decodes one µ-law byte to a 16-bit linear sample (±32124 at most).
    ///
    /// - Parameters:
    ///   - byte: A µ-law byte.
    /// - Returns: The linear value it stands for.
    @inlinable
    public static func decode(_ byte: UInt8) -> Int16 {
        let value = Int32(~byte)
        var magnitude = ((value & 0x0F) << 3) + 0x84
        magnitude <<= (value & 0x70) >> 4
        return Int16(value & 0x80 != 0 ? 0x84 - magnitude : magnitude - 0x84)
    }
}
