/// Known `wFormatTag` values of a WAV `fmt ` chunk.
enum WAVFormatTag {
    static let pcm: UInt16 = 0x0001
    static let ieeeFloat: UInt16 = 0x0003
    static let aLaw: UInt16 = 0x0006
    static let muLaw: UInt16 = 0x0007
    static let extensible: UInt16 = 0xFFFE

    /// The last 14 bytes shared by every `KSDATAFORMAT_SUBTYPE_*` GUID built from a format tag.
    static let subFormatSuffix: [UInt8] = [
        0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71,
    ]

    /// The common name of a format tag, when known.
    static func name(of tag: UInt16) -> String? {
        switch tag {
        case 0x0000: "unknown/invalid format"
        case 0x0001: "PCM"
        case 0x0002: "Microsoft ADPCM"
        case 0x0003: "IEEE float"
        case 0x0006: "G.711 A-law"
        case 0x0007: "G.711 mu-law"
        case 0x0010: "OKI ADPCM"
        case 0x0011: "IMA ADPCM"
        case 0x0014: "G.723 ADPCM"
        case 0x0022: "DSP Group TrueSpeech"
        case 0x0031: "GSM 6.10"
        case 0x0040: "G.721 ADPCM"
        case 0x0050: "MPEG Layer I/II"
        case 0x0055: "MPEG Layer III"
        case 0x0064: "G.726 ADPCM"
        case 0x0065: "G.722 ADPCM"
        case 0x0092: "Dolby AC-3 SPDIF"
        case 0x00FF: "AAC"
        case 0x0160, 0x0161, 0x0162, 0x0163: "Windows Media Audio"
        case 0x1610: "HE-AAC"
        case 0x2000: "Dolby AC-3"
        case 0x2001: "DTS"
        case 0x674F, 0x6750, 0x6751: "Ogg Vorbis"
        case 0x704F: "Opus"
        case 0xF1AC: "FLAC"
        case 0xFFFE: "WAVE_FORMAT_EXTENSIBLE"
        default: nil
        }
    }
}
