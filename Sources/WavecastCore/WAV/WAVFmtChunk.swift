/// Parses and validates the payload of a WAV `fmt ` chunk.
enum WAVFmtChunk {
    /// The smallest valid `fmt ` payload (`WAVEFORMAT` plus `wBitsPerSample`).
    static let minimumSize = 16
    /// The largest `fmt ` payload accepted; real ones are at most a few dozen bytes.
    static let maximumSize = 1024
    /// The size of a `WAVE_FORMAT_EXTENSIBLE` payload.
    static let extensibleSize = 40

    /// Parses a `fmt ` payload.
    ///
    /// - Parameters:
    ///   - payload: The chunk's payload, without its 8-byte header.
    ///   - offset: The byte offset of the payload in the input, for error messages.
    /// - Returns: The validated format.
    static func parse(_ payload: UnsafeRawBufferPointer, at offset: Int) throws(WAVError) -> WAVFormat {
        func u16(_ at: Int) -> Int { Int(payload[at]) | Int(payload[at + 1]) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }

        let declaredTag = UInt16(u16(0))
        let channels = u16(2)
        let sampleRate = u32(4)
        let blockAlign = u16(12)
        let bits = u16(14)

        var tag = declaredTag
        var isExtensible = false
        if declaredTag == WAVFormatTag.extensible {
            isExtensible = true
            let extensionSize = payload.count >= 18 ? u16(16) : 0
            guard payload.count >= Self.extensibleSize, extensionSize >= 22 else {
                throw .extensibleTooShort(size: payload.count, extensionSize: extensionSize, at: offset)
            }
            let guid = Array(payload[24..<40])
            guard Array(guid[2...]) == WAVFormatTag.subFormatSuffix else {
                throw .unknownSubFormat(guid: guid, at: offset + 24)
            }
            tag = UInt16(guid[0]) | UInt16(guid[1]) << 8
        }

        let encoding: WAVFormat.Encoding
        let codecOffset = isExtensible ? offset + 24 : offset
        switch tag {
        case WAVFormatTag.pcm:
            switch bits {
            case 8: encoding = .unsignedPCM8
            case 16: encoding = .signedPCM16
            case 24: encoding = .signedPCM24
            case 32: encoding = .signedPCM32
            default: throw .unsupportedBits(bits: bits, codec: "PCM", supported: [8, 16, 24, 32], at: offset + 14)
            }
        case WAVFormatTag.ieeeFloat:
            switch bits {
            case 32: encoding = .float32
            case 64: encoding = .float64
            default: throw .unsupportedBits(bits: bits, codec: "IEEE float", supported: [32, 64], at: offset + 14)
            }
        case WAVFormatTag.muLaw, WAVFormatTag.aLaw:
            let isMuLaw = tag == WAVFormatTag.muLaw
            guard bits == 8 else {
                let codec = isMuLaw ? "G.711 mu-law" : "G.711 A-law"
                throw .unsupportedBits(bits: bits, codec: codec, supported: [8], at: offset + 14)
            }
            encoding = isMuLaw ? .muLaw : .aLaw
        default:
            throw .unsupportedCodec(tag: tag, inExtensible: isExtensible, at: codecOffset)
        }

        if isExtensible {
            let validBits = u16(18)
            guard validBits <= bits else {
                throw .invalidValidBits(valid: validBits, container: bits, at: offset + 18)
            }
        }

        guard channels > 0 else { throw .noChannels(at: offset + 2) }
        guard channels <= WAVFormat.maximumChannels else {
            throw .tooManyChannels(count: channels, limit: WAVFormat.maximumChannels, at: offset + 2)
        }
        guard sampleRate > 0 else { throw .zeroSampleRate(at: offset + 4) }
        guard WAVFormat.supportedSampleRates.contains(sampleRate) else {
            throw .unsupportedSampleRate(rate: sampleRate, range: WAVFormat.supportedSampleRates, at: offset + 4)
        }
        let format = WAVFormat(encoding: encoding, sampleRate: sampleRate, channels: channels)
        guard blockAlign == format.blockAlign else {
            throw .blockAlignMismatch(
                blockAlign: blockAlign,
                channels: channels,
                bytesPerSample: format.bytesPerSample,
                at: offset + 12
            )
        }
        return format
    }
}
