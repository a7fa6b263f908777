/// ITU-T G.711 mu-law and A-law companding, as in the reference `g711.c`.
enum G711 {
    /// Decodes one mu-law byte to a 16-bit linear value (range ±32124).
    static func muLawToLinear(_ byte: UInt8) -> Int16 {
        let value = ~byte
        var magnitude = (Int(value & 0x0F) << 3) + 0x84
        magnitude <<= Int(value & 0x70) >> 4
        return Int16(value & 0x80 != 0 ? 0x84 - magnitude : magnitude - 0x84)
    }

    /// Decodes one A-law byte to a 16-bit linear value (range ±32256).
    static func aLawToLinear(_ byte: UInt8) -> Int16 {
        let value = byte ^ 0x55
        var magnitude = Int(value & 0x0F) << 4
        let segment = Int(value & 0x70) >> 4
        switch segment {
        case 0: magnitude += 8
        case 1: magnitude += 0x108
        default: magnitude = (magnitude + 0x108) << (segment - 1)
        }
        return Int16(value & 0x80 != 0 ? magnitude : -magnitude)
    }

    /// Encodes a 16-bit linear value as mu-law.
    static func linearToMuLaw(_ sample: Int16) -> UInt8 {
        let segmentEnds = [0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF]
        var value = Int(sample) >> 2
        let mask: Int
        if value < 0 {
            value = -value
            mask = 0x7F
        } else {
            mask = 0xFF
        }
        value = min(value, 8159) + (0x84 >> 2)
        guard let segment = segmentEnds.firstIndex(where: { value <= $0 }) else {
            return UInt8(0x7F ^ mask)
        }
        return UInt8(((segment << 4) | ((value >> (segment + 1)) & 0x0F)) ^ mask)
    }

    /// Encodes a 16-bit linear value as A-law.
    static func linearToALaw(_ sample: Int16) -> UInt8 {
        let segmentEnds = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF]
        var value = Int(sample) >> 3
        let mask: Int
        if value >= 0 {
            mask = 0xD5
        } else {
            mask = 0x55
            value = -value - 1
        }
        guard let segment = segmentEnds.firstIndex(where: { value <= $0 }) else {
            return UInt8(0x7F ^ mask)
        }
        let mantissa = segment < 2 ? (value >> 1) & 0x0F : (value >> segment) & 0x0F
        return UInt8(((segment << 4) | mantissa) ^ mask)
    }

    /// Every mu-law byte decoded to a Float in -1...1.
    static let muLawTable: [Float] = (0...255).map { Float(Self.muLawToLinear(UInt8($0))) / 32768 }

    /// Every A-law byte decoded to a Float in -1...1.
    static let aLawTable: [Float] = (0...255).map { Float(Self.aLawToLinear(UInt8($0))) / 32768 }
}
