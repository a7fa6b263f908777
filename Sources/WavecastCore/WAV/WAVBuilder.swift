/// Builds the bytes of a WAV file in any encoding the reader supports, including unusual and malformed layouts.
///
/// Meant for tests and for synthesising input: it can write `WAVE_FORMAT_EXTENSIBLE`, extra chunks (odd sizes get
/// their pad byte), a `data` size of 0 or `0xFFFFFFFF` as piped writers do, or a hand-made `fmt ` payload.
///
/// ```swift
/// var builder = WAVBuilder(format: WAVFormat(encoding: .signedPCM16, sampleRate: 8000, channels: 1))
/// builder.chunksBeforeData = [.init(id: "LIST", payload: Array("INFOISFTxyz".utf8))]
/// let bytes = builder.build(samples: [0, 0.5, -0.5])
/// ```
public struct WAVBuilder: Sendable {
    /// A chunk written as is: a four-character id, then the payload (and a pad byte when its size is odd).
    public struct Chunk: Sendable, Hashable {
        /// The four ASCII characters of the id, e.g. `"LIST"`.
        public var id: String
        /// The payload, without the pad byte.
        public var payload: [UInt8]

        /// Creates a chunk.
        public init(id: String, payload: [UInt8]) {
            self.id = id
            self.payload = payload
        }
    }

    /// What to write in a size field.
    public enum SizeField: Sendable, Hashable {
        /// The true size.
        case actual
        /// Zero, as some piped writers do.
        case zero
        /// `0xFFFFFFFF`, as writers that cannot seek back do.
        case unknown
        /// Exactly this value.
        case value(UInt32)
    }

    /// The format written to the `fmt ` chunk and used to encode samples.
    public var format: WAVFormat
    /// Write a 40-byte `WAVE_FORMAT_EXTENSIBLE` `fmt ` chunk with a PCM or IEEE-float sub-format GUID.
    public var extensible: Bool
    /// `wValidBitsPerSample` of an extensible `fmt ` chunk; nil writes the container size.
    public var validBitsPerSample: Int?
    /// `dwChannelMask` of an extensible `fmt ` chunk.
    public var channelMask: UInt32
    /// Replaces the generated `fmt ` payload (see ``fmtPayload(formatTag:channels:sampleRate:blockAlign:bitsPerSample:extensionBytes:)``).
    public var fmtPayloadOverride: [UInt8]?
    /// Whether to write the `fmt ` chunk at all.
    public var includesFmt: Bool
    /// Whether to write the `data` chunk at all.
    public var includesData: Bool
    /// Chunks written between the RIFF header and the `fmt ` chunk.
    public var chunksBeforeFmt: [Chunk]
    /// Chunks written between the `fmt ` and `data` chunks.
    public var chunksBeforeData: [Chunk]
    /// Chunks written after the `data` chunk.
    public var chunksAfterData: [Chunk]
    /// The `data` chunk's size field.
    public var dataSize: SizeField
    /// The RIFF header's size field.
    public var riffSize: SizeField

    /// Creates a builder for a plain WAV file with just `fmt ` and `data` chunks.
    ///
    /// - Parameters:
    ///   - format: The format to write.
    ///   - extensible: Write a `WAVE_FORMAT_EXTENSIBLE` `fmt ` chunk.
    public init(format: WAVFormat, extensible: Bool = false) {
        self.format = format
        self.extensible = extensible
        self.validBitsPerSample = nil
        self.channelMask = 0
        self.fmtPayloadOverride = nil
        self.includesFmt = true
        self.includesData = true
        self.chunksBeforeFmt = []
        self.chunksBeforeData = []
        self.chunksAfterData = []
        self.dataSize = .actual
        self.riffSize = .actual
    }

    /// Builds a WAV file from interleaved samples in -1...1, encoded in ``format``.
    public func build(samples: [Float]) -> [UInt8] {
        self.build(data: Self.encode(samples, as: self.format.encoding))
    }

    /// Builds a WAV file around raw `data` bytes (which need not be whole frames).
    public func build(data: [UInt8]) -> [UInt8] {
        var chunks: [(id: String, payload: [UInt8], size: SizeField)] = []
        chunks += self.chunksBeforeFmt.map { ($0.id, $0.payload, .actual) }
        if self.includesFmt {
            chunks.append(("fmt ", self.fmtPayloadOverride ?? self.generatedFmtPayload(), .actual))
        }
        chunks += self.chunksBeforeData.map { ($0.id, $0.payload, .actual) }
        if self.includesData {
            chunks.append(("data", data, self.dataSize))
        }
        chunks += self.chunksAfterData.map { ($0.id, $0.payload, .actual) }

        var body: [UInt8] = Array("WAVE".utf8)
        for chunk in chunks {
            body += Self.fourCC(chunk.id)
            body += Self.le32(Self.resolve(chunk.size, actual: chunk.payload.count))
            body += chunk.payload
            if chunk.payload.count & 1 == 1 {
                body.append(0)
            }
        }
        var bytes: [UInt8] = Array("RIFF".utf8)
        bytes.reserveCapacity(body.count + 8)
        bytes += Self.le32(Self.resolve(self.riffSize, actual: body.count))
        bytes += body
        return bytes
    }

    /// The `fmt ` payload this builder writes (unless ``fmtPayloadOverride`` is set).
    public func generatedFmtPayload() -> [UInt8] {
        let format = self.format
        guard self.extensible else {
            return Self.fmtPayload(
                formatTag: format.encoding.formatTag,
                channels: format.channels,
                sampleRate: format.sampleRate,
                blockAlign: format.blockAlign,
                bitsPerSample: format.bitsPerSample
            )
        }
        var extensionBytes = Self.le16(self.validBitsPerSample ?? format.bitsPerSample)
        extensionBytes += Self.le32(Int(self.channelMask))
        extensionBytes += Self.subFormatGUID(formatTag: format.encoding.formatTag)
        return Self.fmtPayload(
            formatTag: 0xFFFE,
            channels: format.channels,
            sampleRate: format.sampleRate,
            blockAlign: format.blockAlign,
            bitsPerSample: format.bitsPerSample,
            extensionBytes: extensionBytes
        )
    }

    /// A `fmt ` payload with the given field values, valid or not.
    ///
    /// - Parameters:
    ///   - formatTag: `wFormatTag`, e.g. 1 for PCM or `0xFFFE` for extensible.
    ///   - channels: `nChannels`.
    ///   - sampleRate: `nSamplesPerSec`.
    ///   - blockAlign: `nBlockAlign`.
    ///   - bitsPerSample: `wBitsPerSample`.
    ///   - extensionBytes: When not nil, `cbSize` (their count) followed by these bytes.
    /// - Returns: The payload; `nAvgBytesPerSec` is `sampleRate × blockAlign`.
    public static func fmtPayload(
        formatTag: UInt16,
        channels: Int,
        sampleRate: Int,
        blockAlign: Int,
        bitsPerSample: Int,
        extensionBytes: [UInt8]? = nil
    ) -> [UInt8] {
        var payload = Self.le16(Int(formatTag))
        payload += Self.le16(channels)
        payload += Self.le32(sampleRate)
        payload += Self.le32(sampleRate &* blockAlign)
        payload += Self.le16(blockAlign)
        payload += Self.le16(bitsPerSample)
        if let extensionBytes {
            payload += Self.le16(extensionBytes.count)
            payload += extensionBytes
        }
        return payload
    }

    /// The `KSDATAFORMAT_SUBTYPE_*` GUID of a format tag, as stored in an extensible `fmt ` chunk.
    public static func subFormatGUID(formatTag: UInt16) -> [UInt8] {
        Self.le16(Int(formatTag)) + WAVFormatTag.subFormatSuffix
    }

    /// Encodes interleaved samples in -1...1 (clipping values outside) as `data` bytes.
    public static func encode(_ samples: [Float], as encoding: WAVFormat.Encoding) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(samples.count * encoding.bytesPerSample)
        for sample in samples {
            let value = sample.isNaN ? 0 : Double(min(1, max(-1, sample)))
            switch encoding {
            case .unsignedPCM8:
                bytes.append(UInt8(min(255, max(0, (value * 128).rounded() + 128))))
            case .signedPCM16:
                bytes += Self.le16(Int(Self.quantize(value, bits: 16)))
            case .signedPCM24:
                let quantized = Self.quantize(value, bits: 24)
                bytes += [UInt8(truncatingIfNeeded: quantized), UInt8(truncatingIfNeeded: quantized >> 8)]
                bytes.append(UInt8(truncatingIfNeeded: quantized >> 16))
            case .signedPCM32:
                bytes += Self.le32(Int(Self.quantize(value, bits: 32)))
            case .float32:
                bytes += Self.le32(Int(Float(value).bitPattern))
            case .float64:
                let bits = value.bitPattern
                bytes += Self.le32(Int(bits & 0xFFFF_FFFF)) + Self.le32(Int(bits >> 32))
            case .muLaw:
                bytes.append(G711.linearToMuLaw(Int16(Self.quantize(value, bits: 16))))
            case .aLaw:
                bytes.append(G711.linearToALaw(Int16(Self.quantize(value, bits: 16))))
            }
        }
        return bytes
    }

    // MARK: - Helpers

    private static func quantize(_ value: Double, bits: Int) -> Int64 {
        let scale = Double(Int64(1) << (bits - 1))
        return Int64(min(scale - 1, max(-scale, (value * scale).rounded())))
    }

    private static func resolve(_ field: SizeField, actual: Int) -> Int {
        switch field {
        case .actual: actual
        case .zero: 0
        case .unknown: 0xFFFF_FFFF
        case .value(let value): Int(value)
        }
    }

    private static func fourCC(_ id: String) -> [UInt8] {
        Array((Array(id.utf8) + [0x20, 0x20, 0x20, 0x20]).prefix(4))
    }

    private static func le16(_ value: Int) -> [UInt8] {
        [UInt8(truncatingIfNeeded: value), UInt8(truncatingIfNeeded: value >> 8)]
    }

    private static func le32(_ value: Int) -> [UInt8] {
        [
            UInt8(truncatingIfNeeded: value), UInt8(truncatingIfNeeded: value >> 8),
            UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 24),
        ]
    }
}
