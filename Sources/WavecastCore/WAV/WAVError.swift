/// An error that makes a byte stream unreadable as a WAV file.
///
/// Each error names what is wrong and the byte offset in the input where it was found. ``code`` is a short, stable
/// identifier (for example `not_riff`) meant for machine-readable replies; ``description`` is a message for a person.
public struct WAVError: Error, Hashable, Sendable {
    /// A short, stable identifier of the kind of problem, such as `not_riff` or `unsupported_codec`.
    public struct Code: Hashable, Sendable {
        fileprivate enum Base: String, Hashable, Sendable {
            case emptyInput = "empty_input"
            case notRIFF = "not_riff"
            case looksLikeMP3 = "mp3_not_wav"
            case notWAVE = "not_wave"
            case rf64Unsupported = "rf64_unsupported"
            case missingFmt = "missing_fmt"
            case missingData = "missing_data"
            case fmtTooShort = "fmt_too_short"
            case fmtTooLarge = "fmt_too_large"
            case unsupportedCodec = "unsupported_codec"
            case unsupportedBitsPerSample = "unsupported_bits_per_sample"
            case noChannels = "no_channels"
            case tooManyChannels = "too_many_channels"
            case zeroSampleRate = "zero_sample_rate"
            case unsupportedSampleRate = "unsupported_sample_rate"
            case blockAlignMismatch = "block_align_mismatch"
            case extensibleFmtTooShort = "extensible_fmt_too_short"
            case unknownSubFormat = "unknown_subformat"
            case truncatedHeader = "truncated_header"
        }

        fileprivate let base: Base

        fileprivate init(_ base: Base) {
            self.base = base
        }

        /// The stable identifier, e.g. `not_riff`.
        public var name: String { self.base.rawValue }

        /// The input holds no bytes at all.
        public static var emptyInput: Self { .init(.emptyInput) }
        /// The input does not start with `RIFF`.
        public static var notRIFF: Self { .init(.notRIFF) }
        /// The input is an MP3 file (ID3 tag or MPEG frame sync), not a WAV file.
        public static var looksLikeMP3: Self { .init(.looksLikeMP3) }
        /// The input is a RIFF file whose form type is not `WAVE`.
        public static var notWAVE: Self { .init(.notWAVE) }
        /// The input is an RF64 (64-bit RIFF) file, which is not supported.
        public static var rf64Unsupported: Self { .init(.rf64Unsupported) }
        /// No `fmt ` chunk before the `data` chunk or before the end of input.
        public static var missingFmt: Self { .init(.missingFmt) }
        /// No `data` chunk before the end of input.
        public static var missingData: Self { .init(.missingData) }
        /// The `fmt ` chunk is shorter than 16 bytes.
        public static var fmtTooShort: Self { .init(.fmtTooShort) }
        /// The `fmt ` chunk is implausibly large.
        public static var fmtTooLarge: Self { .init(.fmtTooLarge) }
        /// The format tag names a codec this reader does not decode.
        public static var unsupportedCodec: Self { .init(.unsupportedCodec) }
        /// The bits per sample are not supported for the codec.
        public static var unsupportedBitsPerSample: Self { .init(.unsupportedBitsPerSample) }
        /// The `fmt ` chunk declares zero channels.
        public static var noChannels: Self { .init(.noChannels) }
        /// The `fmt ` chunk declares more channels than supported.
        public static var tooManyChannels: Self { .init(.tooManyChannels) }
        /// The `fmt ` chunk declares a sample rate of zero.
        public static var zeroSampleRate: Self { .init(.zeroSampleRate) }
        /// The sample rate is outside the supported range.
        public static var unsupportedSampleRate: Self { .init(.unsupportedSampleRate) }
        /// The block align is not channels × bytes per sample.
        public static var blockAlignMismatch: Self { .init(.blockAlignMismatch) }
        /// A `WAVE_FORMAT_EXTENSIBLE` `fmt ` chunk is too short for its extension.
        public static var extensibleFmtTooShort: Self { .init(.extensibleFmtTooShort) }
        /// A `WAVE_FORMAT_EXTENSIBLE` sub-format GUID is not one this reader knows.
        public static var unknownSubFormat: Self { .init(.unknownSubFormat) }
        /// The input ends inside the header, before the audio data starts.
        public static var truncatedHeader: Self { .init(.truncatedHeader) }
    }

    fileprivate enum Reason: Hashable, Sendable {
        case emptyInput
        case notRIFF(first: [UInt8], hint: String?)
        case looksLikeMP3(id3: Bool)
        case notWAVE(formType: [UInt8])
        case rf64(signature: [UInt8])
        case dataBeforeFmt
        case noFmtAtEnd
        case noDataAtEnd
        case fmtTooShort(size: Int)
        case fmtTooLarge(size: Int, limit: Int)
        case unsupportedCodec(tag: UInt16, inExtensible: Bool)
        case unsupportedBits(bits: Int, codec: String, supported: [Int])
        case invalidValidBits(valid: Int, container: Int)
        case noChannels
        case tooManyChannels(count: Int, limit: Int)
        case zeroSampleRate
        case unsupportedSampleRate(rate: Int, range: ClosedRange<Int>)
        case blockAlignMismatch(blockAlign: Int, channels: Int, bytesPerSample: Int)
        case extensibleTooShort(size: Int, extensionSize: Int)
        case unknownSubFormat(guid: [UInt8])
        case truncated(what: String, needed: Int, present: Int)
    }

    fileprivate let reason: Reason

    /// The byte offset in the input where the problem was found.
    public let offset: Int

    fileprivate init(_ reason: Reason, at offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    /// What kind of problem this is; ``Code/name`` is a stable short identifier.
    public var code: Code {
        switch self.reason {
        case .emptyInput: .emptyInput
        case .notRIFF: .notRIFF
        case .looksLikeMP3: .looksLikeMP3
        case .notWAVE: .notWAVE
        case .rf64: .rf64Unsupported
        case .dataBeforeFmt, .noFmtAtEnd: .missingFmt
        case .noDataAtEnd: .missingData
        case .fmtTooShort: .fmtTooShort
        case .fmtTooLarge: .fmtTooLarge
        case .unsupportedCodec: .unsupportedCodec
        case .unsupportedBits, .invalidValidBits: .unsupportedBitsPerSample
        case .noChannels: .noChannels
        case .tooManyChannels: .tooManyChannels
        case .zeroSampleRate: .zeroSampleRate
        case .unsupportedSampleRate: .unsupportedSampleRate
        case .blockAlignMismatch: .blockAlignMismatch
        case .extensibleTooShort: .extensibleFmtTooShort
        case .unknownSubFormat: .unknownSubFormat
        case .truncated: .truncatedHeader
        }
    }
}

// MARK: - Constructors used by the decoder

extension WAVError {
    static func emptyInput() -> Self { .init(.emptyInput, at: 0) }

    static func notRIFF(first: [UInt8], hint: String?) -> Self { .init(.notRIFF(first: first, hint: hint), at: 0) }

    static func looksLikeMP3(id3: Bool) -> Self { .init(.looksLikeMP3(id3: id3), at: 0) }

    static func notWAVE(formType: [UInt8]) -> Self { .init(.notWAVE(formType: formType), at: 8) }

    static func rf64(signature: [UInt8]) -> Self { .init(.rf64(signature: signature), at: 0) }

    static func dataBeforeFmt(at offset: Int) -> Self { .init(.dataBeforeFmt, at: offset) }

    static func noFmtAtEnd(at offset: Int) -> Self { .init(.noFmtAtEnd, at: offset) }

    static func noDataAtEnd(at offset: Int) -> Self { .init(.noDataAtEnd, at: offset) }

    static func fmtTooShort(size: Int, at offset: Int) -> Self { .init(.fmtTooShort(size: size), at: offset) }

    static func fmtTooLarge(size: Int, limit: Int, at offset: Int) -> Self {
        .init(.fmtTooLarge(size: size, limit: limit), at: offset)
    }

    static func unsupportedCodec(tag: UInt16, inExtensible: Bool, at offset: Int) -> Self {
        .init(.unsupportedCodec(tag: tag, inExtensible: inExtensible), at: offset)
    }

    static func unsupportedBits(bits: Int, codec: String, supported: [Int], at offset: Int) -> Self {
        .init(.unsupportedBits(bits: bits, codec: codec, supported: supported), at: offset)
    }

    static func invalidValidBits(valid: Int, container: Int, at offset: Int) -> Self {
        .init(.invalidValidBits(valid: valid, container: container), at: offset)
    }

    static func noChannels(at offset: Int) -> Self { .init(.noChannels, at: offset) }

    static func tooManyChannels(count: Int, limit: Int, at offset: Int) -> Self {
        .init(.tooManyChannels(count: count, limit: limit), at: offset)
    }

    static func zeroSampleRate(at offset: Int) -> Self { .init(.zeroSampleRate, at: offset) }

    static func unsupportedSampleRate(rate: Int, range: ClosedRange<Int>, at offset: Int) -> Self {
        .init(.unsupportedSampleRate(rate: rate, range: range), at: offset)
    }

    static func blockAlignMismatch(blockAlign: Int, channels: Int, bytesPerSample: Int, at offset: Int) -> Self {
        .init(
            .blockAlignMismatch(blockAlign: blockAlign, channels: channels, bytesPerSample: bytesPerSample),
            at: offset
        )
    }

    static func extensibleTooShort(size: Int, extensionSize: Int, at offset: Int) -> Self {
        .init(.extensibleTooShort(size: size, extensionSize: extensionSize), at: offset)
    }

    static func unknownSubFormat(guid: [UInt8], at offset: Int) -> Self {
        .init(.unknownSubFormat(guid: guid), at: offset)
    }

    static func truncated(_ what: String, needed: Int, present: Int, at offset: Int) -> Self {
        .init(.truncated(what: what, needed: needed, present: present), at: offset)
    }
}

// MARK: - Messages

extension WAVError.Code: CustomStringConvertible {
    /// The stable identifier, e.g. `not_riff`.
    public var description: String { self.name }
}

extension WAVError: CustomStringConvertible {
    /// A message for a person: what is wrong, where, and what to do about it.
    public var description: String {
        let at = "at byte offset \(self.offset)"
        switch self.reason {
        case .emptyInput:
            return "The input is empty: expected a WAV file starting with 'RIFF'."
        case .notRIFF(let first, let hint):
            let what = hint.map { " (\($0))" } ?? ""
            return "Not a WAV file: it starts with \(WAVFourCC.describe(first))\(what) \(at), expected 'RIFF'."
        case .looksLikeMP3(let id3):
            let evidence = id3 ? "an ID3 tag" : "an MPEG audio frame sync"
            return
                "This is an MP3 file (it starts with \(evidence) \(at)), not a WAV file; send WAV or convert it first."
        case .notWAVE(let formType):
            return "A RIFF file of form type \(WAVFourCC.describe(formType)) \(at), not 'WAVE': it is not a WAV file."
        case .rf64(let signature):
            return
                "\(WAVFourCC.describe(signature)) (64-bit WAV) files are not supported \(at); write a plain RIFF WAV."
        case .dataBeforeFmt:
            return "The 'data' chunk \(at) comes before any 'fmt ' chunk, so its format is unknown."
        case .noFmtAtEnd:
            return "The input ends \(at) without a 'fmt ' chunk, so this WAV file has no format."
        case .noDataAtEnd:
            return "The input ends \(at) without a 'data' chunk, so this WAV file has no audio."
        case .fmtTooShort(let size):
            return "The 'fmt ' chunk \(at) is \(size) bytes long; it must be at least 16."
        case .fmtTooLarge(let size, let limit):
            return "The 'fmt ' chunk \(at) claims \(size) bytes, more than the \(limit) a valid one can need."
        case .unsupportedCodec(let tag, let inExtensible):
            let name = WAVFormatTag.name(of: tag).map { " (\($0))" } ?? " (unknown codec)"
            let inside = inExtensible ? " inside WAVE_FORMAT_EXTENSIBLE" : ""
            return "Unsupported codec: format tag \(WAVFourCC.hex16(tag))\(name)\(inside) \(at). "
                + "Supported: PCM, IEEE float, G.711 mu-law and A-law."
        case .unsupportedBits(let bits, let codec, let supported):
            let list = supported.map(String.init).joined(separator: ", ")
            return "Unsupported sample size: \(bits) bits per sample for \(codec) \(at); supported: \(list)."
        case .invalidValidBits(let valid, let container):
            return "Invalid sample size: \(valid) valid bits in a \(container)-bit container \(at)."
        case .noChannels:
            return "The 'fmt ' chunk declares 0 channels \(at)."
        case .tooManyChannels(let count, let limit):
            return "The 'fmt ' chunk declares \(count) channels \(at); at most \(limit) are supported."
        case .zeroSampleRate:
            return "The 'fmt ' chunk declares a sample rate of 0 Hz \(at)."
        case .unsupportedSampleRate(let rate, let range):
            return "Unsupported sample rate \(rate) Hz \(at); supported: \(range.lowerBound)...\(range.upperBound) Hz."
        case .blockAlignMismatch(let blockAlign, let channels, let bytesPerSample):
            return "The block align is \(blockAlign) \(at), but \(channels) channel(s) × \(bytesPerSample) byte(s) "
                + "per sample make \(channels * bytesPerSample)."
        case .extensibleTooShort(let size, let extensionSize):
            return "The WAVE_FORMAT_EXTENSIBLE 'fmt ' chunk \(at) is \(size) bytes with a \(extensionSize)-byte "
                + "extension; it needs 40 bytes with a 22-byte extension."
        case .unknownSubFormat(let guid):
            return "Unknown WAVE_FORMAT_EXTENSIBLE sub-format GUID \(WAVFourCC.guid(guid)) \(at); "
                + "supported: PCM and IEEE float."
        case .truncated(let what, let needed, let present):
            return "The input ends inside the \(what) \(at): it needs \(needed) bytes, only \(present) are present."
        }
    }
}
