import Testing
import WavecastCore
import WavecastTestSupport

/// One test per kind of malformed input: each asserts the error code, where it points, and what the message names.
struct WAVMalformedInputTests {
    /// A WAV file with a hand-made `fmt ` payload and a little data; the payload starts at byte offset 20.
    static func wav(fmt payload: [UInt8], data: [UInt8] = [0, 0, 0, 0]) -> [UInt8] {
        var builder = WAVBuilder(format: WAVFormat(encoding: .signedPCM16, sampleRate: 8000, channels: 1))
        builder.fmtPayloadOverride = payload
        return builder.build(data: data)
    }

    static func fmt(
        tag: UInt16 = 1,
        channels: Int = 1,
        rate: Int = 8000,
        blockAlign: Int? = nil,
        bits: Int = 16,
        extensionBytes: [UInt8]? = nil
    ) -> [UInt8] {
        WAVBuilder.fmtPayload(
            formatTag: tag,
            channels: channels,
            sampleRate: rate,
            blockAlign: blockAlign ?? channels * max(1, bits / 8),
            bitsPerSample: bits,
            extensionBytes: extensionBytes
        )
    }

    static let valid = WAVBuilder(format: WAVFormat(encoding: .signedPCM16, sampleRate: 8000, channels: 1))
        .build(samples: [0.5, -0.5, 0.25])

    @Test func emptyInput() {
        expectWAVError([], .emptyInput, offset: 0, mentions: ["empty"])
    }

    @Test func notRIFFWithPrintableSignature() {
        expectWAVError(Array("OggS\0\u{2}\0\0\0\0\0\0".utf8), .notRIFF, offset: 0, mentions: ["'OggS'", "Ogg", "RIFF"])
        expectWAVError(Array("hello world, this is text".utf8), .notRIFF, mentions: ["'hell'"])
    }

    @Test func notRIFFWithBinarySignatureIsShownInHex() {
        expectWAVError([0x00, 0x01, 0xFE, 0x7F, 0, 0, 0, 0, 0, 0, 0, 0], .notRIFF, mentions: ["00 01 FE 7F"])
        expectWAVError([0x01], .notRIFF, mentions: ["01"])
    }

    @Test func mp3WithID3TagIsNamedAsMP3() {
        expectWAVError(Array("ID3\u{4}\0\0\0\0\0\u{23}TSSE".utf8), .looksLikeMP3, offset: 0, mentions: ["MP3", "ID3"])
    }

    @Test(arguments: [[0xFF, 0xFB, 0x90, 0x64], [0xFF, 0xE3, 0x18, 0xC4], [0xFF, 0xF3, 0x40, 0x00], [0xFF, 0xE2]])
    func mp3FrameSyncIsNamedAsMP3(start: [UInt8]) {
        expectWAVError(start + [UInt8](repeating: 0, count: 100), .looksLikeMP3, mentions: ["MP3", "not a WAV"])
    }

    @Test func riffThatIsNotWAVENamesItsFormType() {
        var bytes = Self.valid
        bytes.replaceSubrange(8..<12, with: Array("AVI ".utf8))
        expectWAVError(bytes, .notWAVE, offset: 8, mentions: ["'AVI '", "WAVE"])
    }

    @Test(arguments: ["RF64", "BW64"])
    func rf64IsNotSupported(signature: String) {
        var bytes = Self.valid
        bytes.replaceSubrange(0..<4, with: Array(signature.utf8))
        expectWAVError(bytes, .rf64Unsupported, offset: 0, mentions: [signature, "not supported"])
    }

    @Test func dataChunkBeforeFmtChunkIsMissingFmt() {
        var builder = WAVBuilder(format: WAVFormat(encoding: .signedPCM16, sampleRate: 8000, channels: 1))
        builder.includesFmt = false
        builder.chunksBeforeFmt = [.init(id: "LIST", payload: [1, 2, 3])]
        // RIFF header 12 + LIST 8 + 3 + pad: the data chunk starts at 24.
        expectWAVError(builder.build(data: [0, 0]), .missingFmt, offset: 24, mentions: ["'data'", "'fmt '", "24"])
    }

    @Test func inputEndingWithoutFmtChunkIsMissingFmt() {
        var builder = WAVBuilder(format: WAVFormat(encoding: .signedPCM16, sampleRate: 8000, channels: 1))
        builder.includesFmt = false
        builder.includesData = false
        builder.chunksBeforeData = [.init(id: "LIST", payload: [1, 2, 3, 4])]
        expectWAVError(builder.build(data: []), .missingFmt, offset: 24, mentions: ["'fmt '", "ends"])
        expectWAVError(Array("RIFF\0\0\0\0WAVE".utf8), .missingFmt, offset: 12, mentions: ["'fmt '"])
    }

    @Test func inputEndingWithoutDataChunkIsMissingData() {
        var builder = WAVBuilder(format: WAVFormat(encoding: .signedPCM16, sampleRate: 8000, channels: 1))
        builder.includesData = false
        builder.chunksBeforeData = [.init(id: "LIST", payload: [1, 2, 3, 4])]
        expectWAVError(builder.build(data: []), .missingData, offset: 48, mentions: ["'data'", "48"])
    }

    @Test func fmtChunkShorterThan16Bytes() {
        expectWAVError(Self.wav(fmt: Array(Self.fmt()[0..<14])), .fmtTooShort, offset: 12, mentions: ["14", "16"])
    }

    @Test func fmtChunkAbsurdlyLarge() {
        let bytes = Self.wav(fmt: Self.fmt() + [UInt8](repeating: 0, count: 5000))
        expectWAVError(bytes, .fmtTooLarge, offset: 12, mentions: ["5016", "1024"])
        // The size alone decides: the decoder does not wait for 4 GB of fmt payload.
        var header = Array(Self.valid[0..<16])
        header += [0xFF, 0xFF, 0xFF, 0x7F]
        expectWAVError(header, .fmtTooLarge, mentions: ["2147483647"])
    }

    @Test(arguments: [
        (UInt16(0x0055), "MPEG Layer III"), (0x0002, "Microsoft ADPCM"), (0x0011, "IMA ADPCM"), (0x0031, "GSM 6.10"),
        (0x0050, "MPEG Layer I/II"), (0x0000, "unknown/invalid"), (0x1234, "unknown codec"),
    ])
    func unsupportedCodecNamesTheTagAndCodec(tag: UInt16, name: String) {
        let digits = String(tag, radix: 16, uppercase: true)
        let hex = "0x" + String(repeating: "0", count: 4 - digits.count) + digits
        expectWAVError(
            Self.wav(fmt: Self.fmt(tag: tag, bits: 4)),
            .unsupportedCodec,
            offset: 20,
            mentions: [hex, name]
        )
    }

    @Test func unsupportedCodecInsideExtensibleIsNamed() {
        let ext = [16, 0, 0, 0, 0, 0] + WAVBuilder.subFormatGUID(formatTag: 0x0055)
        expectWAVError(
            Self.wav(fmt: Self.fmt(tag: 0xFFFE, extensionBytes: ext)),
            .unsupportedCodec,
            offset: 44,
            mentions: ["0x0055", "MPEG Layer III", "EXTENSIBLE"]
        )
    }

    @Test(arguments: [
        (UInt16(1), 12, "PCM"), (1, 48, "PCM"), (1, 0, "PCM"), (3, 16, "IEEE float"), (3, 24, "IEEE float"),
        (7, 16, "mu-law"), (6, 4, "A-law"),
    ])
    func unsupportedBitsPerSampleForTheCodec(tag: UInt16, bits: Int, codec: String) {
        expectWAVError(
            Self.wav(fmt: Self.fmt(tag: tag, bits: bits)),
            .unsupportedBitsPerSample,
            offset: 34,
            mentions: ["\(bits) bits", codec]
        )
    }

    @Test func extensibleValidBitsBeyondTheContainer() {
        let ext = [32, 0, 0, 0, 0, 0] + WAVBuilder.subFormatGUID(formatTag: 1)
        expectWAVError(
            Self.wav(fmt: Self.fmt(tag: 0xFFFE, bits: 24, extensionBytes: ext)),
            .unsupportedBitsPerSample,
            offset: 38,
            mentions: ["32 valid bits", "24-bit"]
        )
    }

    @Test func zeroChannels() {
        expectWAVError(
            Self.wav(fmt: Self.fmt(channels: 0, blockAlign: 2)),
            .noChannels,
            offset: 22,
            mentions: ["0 channels"]
        )
    }

    @Test(arguments: [9, 16, 65535])
    func moreThanEightChannels(channels: Int) {
        expectWAVError(
            Self.wav(fmt: Self.fmt(channels: channels)),
            .tooManyChannels,
            offset: 22,
            mentions: ["\(channels) channels", "8"]
        )
    }

    @Test func zeroSampleRate() {
        expectWAVError(Self.wav(fmt: Self.fmt(rate: 0)), .zeroSampleRate, offset: 24, mentions: ["0 Hz"])
    }

    @Test(arguments: [1, 4000, 7999, 192_001, 384_000, 4_294_967_295])
    func sampleRateOutside8To192kHz(rate: Int) {
        expectWAVError(
            Self.wav(fmt: Self.fmt(rate: rate)),
            .unsupportedSampleRate,
            offset: 24,
            mentions: ["\(rate) Hz", "8000...192000"]
        )
    }

    @Test(arguments: [(1, 16, 4), (2, 16, 2), (2, 24, 8), (1, 8, 0)])
    func blockAlignMismatch(channels: Int, bits: Int, blockAlign: Int) {
        expectWAVError(
            Self.wav(fmt: Self.fmt(channels: channels, blockAlign: blockAlign, bits: bits)),
            .blockAlignMismatch,
            offset: 32,
            mentions: ["block align is \(blockAlign)", "make \(channels * bits / 8)"]
        )
    }

    @Test(arguments: [0, 10, 21])
    func extensibleFmtTooShort(extensionSize: Int) {
        let ext = Array((WAVBuilder.subFormatGUID(formatTag: 1) + [0, 0, 0, 0, 0, 0]).prefix(extensionSize))
        expectWAVError(
            Self.wav(fmt: Self.fmt(tag: 0xFFFE, extensionBytes: ext)),
            .extensibleFmtTooShort,
            offset: 20,
            mentions: ["\(16 + 2 + extensionSize) bytes", "40 bytes"]
        )
        // A bare 16-byte fmt chunk with the extensible tag.
        expectWAVError(Self.wav(fmt: Self.fmt(tag: 0xFFFE)), .extensibleFmtTooShort, mentions: ["16 bytes"])
    }

    @Test func extensibleWithUnknownSubFormatGUID() {
        let guid: [UInt8] = [
            0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x72,
        ]
        let ext = [16, 0, 0, 0, 0, 0] + guid
        expectWAVError(
            Self.wav(fmt: Self.fmt(tag: 0xFFFE, extensionBytes: ext)),
            .unknownSubFormat,
            offset: 44,
            mentions: ["00000001-0000-0010-8000-00AA00389B72"]
        )
    }

    @Test func dataShorterThanDeclaredIsAWarningNotAnError() throws {
        var builder = WAVBuilder(format: WAVFormat(encoding: .signedPCM16, sampleRate: 8000, channels: 2))
        builder.dataSize = .value(4000)
        let signal = testSignal(frames: 250, channels: 2)
        let bytes = builder.build(samples: signal) + [0x12]
        expectClose(try WAVFile.decode(bytes, layout: .interleaved).samples, signal, tolerance: 1 / 32768)
        let result = try decodeInPieces(bytes, pieceSizes: [1], layout: .interleaved)
        #expect(result.samples.count == 500)
        #expect(result.warnings.map(\.code) == [.dataShorterThanDeclared, .partialFrameDropped])
        let warning = try #require(result.warnings.first)
        #expect(warning.offset == 36)
        #expect(warning.description.contains("declares 4000 bytes"))
        #expect(warning.description.contains("only 1001 are present"))
    }

    @Test(arguments: [WAVBuilder.SizeField.actual, .unknown])
    func trailingPartialFrameIsDroppedWithAWarning(size: WAVBuilder.SizeField) throws {
        var builder = WAVBuilder(format: WAVFormat(encoding: .signedPCM24, sampleRate: 8000, channels: 2))
        builder.dataSize = size
        let data = WAVBuilder.encode([0.5, -0.5, 0.25, -0.25], as: .signedPCM24) + [1, 2, 3, 4]
        let decoded = try WAVFile.decode(builder.build(data: data), layout: .interleaved)
        #expect(decoded.samples == [0.5, -0.5, 0.25, -0.25])
        #expect(decoded.warnings.map(\.code) == [.partialFrameDropped])
        let warning = try #require(decoded.warnings.first)
        #expect(warning.offset == 44 + 12)
        #expect(warning.description.contains("4 byte(s)"))
        #expect(warning.description.contains("6 bytes"))
    }

    @Test(arguments: [
        (6, "RIFF header", 0), (14, "header of the chunk", 12), (30, "'fmt ' chunk", 12), (44, "'LIST' chunk", 36),
    ])
    func inputEndingInsideTheHeaderNamesTheChunk(length: Int, chunk: String, offset: Int) {
        var builder = WAVBuilder(format: WAVFormat(encoding: .signedPCM16, sampleRate: 8000, channels: 1))
        builder.chunksBeforeData = [.init(id: "LIST", payload: [UInt8](repeating: 7, count: 100))]
        let bytes = Array(builder.build(samples: [0.5])[0..<length])
        expectWAVError(bytes, .truncatedHeader, offset: offset, mentions: [chunk])
    }

    @Test func everyTruncationAndCorruptionFailsCleanlyWithoutTrapping() {
        var builder = WAVBuilder(
            format: WAVFormat(encoding: .signedPCM24, sampleRate: 8000, channels: 3),
            extensible: true
        )
        builder.chunksBeforeData = [.init(id: "LIST", payload: [1, 2, 3])]
        let bytes = builder.build(samples: testSignal(frames: 4, channels: 3))
        for length in 0...bytes.count {
            _ = try? decodeInPieces(Array(bytes[0..<length]), pieceSizes: [1])
            _ = try? WAVFile.decode(Array(bytes[0..<length]))
        }
        var generator = SplitMix64(seed: 42)
        for _ in 0..<3000 {
            var corrupted = bytes
            for _ in 0..<3 {
                let index = Int(generator.next() % UInt64(corrupted.count))
                corrupted[index] = UInt8(truncatingIfNeeded: generator.next())
            }
            _ = try? WAVFile.decode(corrupted, layout: .interleaved)
        }
    }
}
