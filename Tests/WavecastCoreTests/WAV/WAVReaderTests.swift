import Testing
import WavecastCore

struct WAVReaderTests {
    static let encodings = WAVFormat.Encoding.allCases

    @Test(arguments: Self.encodings)
    func decodesEachEncodingInterleaved(encoding: WAVFormat.Encoding) throws {
        let format = WAVFormat(encoding: encoding, sampleRate: 8000, channels: 2)
        let signal = testSignal(frames: 500, channels: 2)
        let decoded = try WAVFile.decode(WAVBuilder(format: format).build(samples: signal), layout: .interleaved)
        #expect(decoded.format == format)
        #expect(decoded.frameCount == 500)
        #expect(decoded.warnings.isEmpty)
        expectClose(decoded.samples, signal, tolerance: tolerance(for: encoding))
    }

    @Test(arguments: Self.encodings)
    func decodesEachEncodingDownmixedToMono(encoding: WAVFormat.Encoding) throws {
        let format = WAVFormat(encoding: encoding, sampleRate: 16000, channels: 2)
        let signal = testSignal(frames: 400, channels: 2)
        let decoded = try WAVFile.decode(WAVBuilder(format: format).build(samples: signal))
        #expect(decoded.frameCount == 400)
        expectClose(decoded.samples, downmix(signal, channels: 2), tolerance: tolerance(for: encoding))
    }

    @Test(arguments: Self.encodings)
    func decodesEachEncodingAsExtensible(encoding: WAVFormat.Encoding) throws {
        let format = WAVFormat(encoding: encoding, sampleRate: 48000, channels: 3)
        var builder = WAVBuilder(format: format, extensible: true)
        builder.channelMask = 0x7
        let fmt = builder.generatedFmtPayload()
        #expect(fmt.count == 40)
        #expect(fmt[0] == 0xFE && fmt[1] == 0xFF)
        let signal = testSignal(frames: 300, channels: 3)
        let decoded = try WAVFile.decode(builder.build(samples: signal), layout: .interleaved)
        #expect(decoded.format == format)
        expectClose(decoded.samples, signal, tolerance: tolerance(for: encoding))
    }

    @Test(arguments: [(WAVFormat.Encoding.signedPCM24, 20), (.signedPCM32, 24), (.signedPCM16, 12), (.signedPCM32, 0)])
    func extensibleHonoursContainerSizeNotValidBits(encoding: WAVFormat.Encoding, validBits: Int) throws {
        let format = WAVFormat(encoding: encoding, sampleRate: 44100, channels: 2)
        var builder = WAVBuilder(format: format, extensible: true)
        builder.validBitsPerSample = validBits
        let signal = testSignal(frames: 100, channels: 2)
        let decoded = try WAVFile.decode(builder.build(samples: signal), layout: .interleaved)
        #expect(decoded.format == format)
        expectClose(decoded.samples, signal, tolerance: tolerance(for: encoding))
    }

    @Test(arguments: [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 88200, 96000, 176_400, 192_000])
    func acceptsEverySampleRateFrom8To192kHz(rate: Int) throws {
        let format = WAVFormat(encoding: .signedPCM16, sampleRate: rate, channels: 1)
        let decoded = try WAVFile.decode(WAVBuilder(format: format).build(samples: testSignal(frames: 64, channels: 1)))
        #expect(decoded.format.sampleRate == rate)
        #expect(decoded.frameCount == 64)
    }

    @Test(arguments: 1...8)
    func acceptsOneToEightChannels(channels: Int) throws {
        let format = WAVFormat(encoding: .signedPCM16, sampleRate: 8000, channels: channels)
        let signal = testSignal(frames: 200, channels: channels)
        let bytes = WAVBuilder(format: format).build(samples: signal)
        let interleaved = try WAVFile.decode(bytes, layout: .interleaved)
        #expect(interleaved.format.channels == channels)
        #expect(interleaved.format.blockAlign == 2 * channels)
        #expect(interleaved.frameCount == 200)
        expectClose(interleaved.samples, signal, tolerance: 1 / 32768)
        let mono = try WAVFile.decode(bytes)
        #expect(mono.frameCount == 200)
        expectClose(mono.samples, downmix(signal, channels: channels), tolerance: 1 / 32768)
    }

    @Test func downmixIsTheAverageOfChannels() throws {
        let format = WAVFormat(encoding: .float32, sampleRate: 8000, channels: 4)
        let frames: [Float] = [
            0.5, -0.25, 1, 0,
            -1, -1, -1, -1,
            0.75, 0.25, 0, 0,
        ]
        let decoded = try WAVFile.decode(WAVBuilder(format: format).build(samples: frames))
        #expect(decoded.samples == [0.3125, -1, 0.25])
    }

    @Test func integerPCMExtremesMapToMinusOneAndJustBelowOne() throws {
        func decode(_ encoding: WAVFormat.Encoding, _ data: [UInt8]) throws -> [Float] {
            let format = WAVFormat(encoding: encoding, sampleRate: 8000, channels: 1)
            return try WAVFile.decode(WAVBuilder(format: format).build(data: data)).samples
        }
        #expect(try decode(.unsignedPCM8, [0, 128, 255, 64]) == [-1, 0, 127 / 128, -0.5])
        #expect(
            try decode(.signedPCM16, [0x00, 0x80, 0x00, 0x00, 0xFF, 0x7F, 0x00, 0x40]) == [-1, 0, 32767 / 32768, 0.5]
        )
        #expect(
            try decode(.signedPCM24, [0x00, 0x00, 0x80, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0xC0]) == [
                -1, -1 / 8_388_608, -0.5,
            ]
        )
        #expect(try decode(.signedPCM32, [0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00, 0x40]) == [-1, 0.5])
    }

    @Test func floatSamplesOutsideRangeAreClampedAndNaNBecomesZero() throws {
        let values: [Float] = [2, -3, .nan, .infinity, 0.25]
        let data = values.flatMap { value -> [UInt8] in
            let bits = value.bitPattern
            return [0, 8, 16, 24].map { UInt8(truncatingIfNeeded: bits >> UInt32($0)) }
        }
        let format = WAVFormat(encoding: .float32, sampleRate: 8000, channels: 1)
        let decoded = try WAVFile.decode(WAVBuilder(format: format).build(data: data))
        #expect(decoded.samples == [1, -1, 0, 1, 0.25])
    }

    @Test func muLawDecodesToTheITUValues() throws {
        let format = WAVFormat(encoding: .muLaw, sampleRate: 8000, channels: 1)
        let decoded = try WAVFile.decode(WAVBuilder(format: format).build(data: [0xFF, 0x7F, 0x80, 0x00, 0xEF, 0x6F]))
        // 0xEF inverts to 0x10: segment 1, mantissa 0 -> ((0 << 3) + 0x84) << 1 - 0x84 = 132.
        #expect(decoded.samples == [0, 0, 32124, -32124, 132, -132].map { Float($0) / 32768 })
    }

    @Test func aLawDecodesToTheITUValues() throws {
        let format = WAVFormat(encoding: .aLaw, sampleRate: 8000, channels: 1)
        let decoded = try WAVFile.decode(WAVBuilder(format: format).build(data: [0xD5, 0x55, 0xAA, 0x2A, 0xC5]))
        // 0xC5 ^ 0x55 = 0x90: positive, segment 1, mantissa 0 -> 0x108 = 264.
        #expect(decoded.samples == [8, -8, 32256, -32256, 264].map { Float($0) / 32768 })
    }

    @Test(arguments: [WAVFormat.Encoding.muLaw, .aLaw])
    func g711EncoderAndDecoderAgreeOnEveryCode(encoding: WAVFormat.Encoding) throws {
        let format = WAVFormat(encoding: encoding, sampleRate: 8000, channels: 1)
        let codes = (0...255).map { UInt8($0) }
        let decoded = try WAVFile.decode(WAVBuilder(format: format).build(data: codes)).samples
        let reencoded = WAVBuilder.encode(decoded, as: encoding)
        for code in codes where reencoded[Int(code)] != code {
            // mu-law has two zeros (0xFF and 0x7F); the encoder writes +0.
            #expect(encoding == .muLaw && code == 0x7F && reencoded[Int(code)] == 0xFF, "code \(code)")
        }
        // Decoding is monotonic within each sign half.
        let positive = encoding == .muLaw ? Array(codes[0x80...].reversed()) : codes[0x80...].map { $0 ^ 0x55 }
        let values = positive.map { decoded[Int($0)] }
        #expect(values == values.sorted())
    }

    @Test(arguments: [[1], [2], [3], [7], [1, 5, 2, 11, 64], [4096]])
    func streamingInAnyPiecesEqualsOneShot(pieceSizes: [Int]) throws {
        for encoding in Self.encodings {
            let format = WAVFormat(encoding: encoding, sampleRate: 22050, channels: 3)
            var builder = WAVBuilder(format: format)
            builder.chunksBeforeFmt = [.init(id: "JUNK", payload: [UInt8](repeating: 0, count: 27))]
            builder.chunksBeforeData = [.init(id: "LIST", payload: Array("INFOISFT\u{5}\0\0\0wave!".utf8))]
            builder.chunksAfterData = [.init(id: "id3 ", payload: [1, 2, 3])]
            let bytes = builder.build(samples: testSignal(frames: 333, channels: 3))
            for layout in [WAVChannelLayout.downmixToMono, .interleaved] {
                let oneShot = try WAVFile.decode(bytes, layout: layout)
                let streamed = try decodeInPieces(bytes, pieceSizes: pieceSizes, layout: layout)
                #expect(streamed.format == oneShot.format)
                #expect(streamed.samples == oneShot.samples, "\(encoding) \(layout)")
                #expect(streamed.warnings == oneShot.warnings)
            }
        }
    }

    @Test func decoderReturnsOnlyWholeFramesAndKeepsThePartialOne() throws {
        let format = WAVFormat(encoding: .signedPCM24, sampleRate: 8000, channels: 2)
        let bytes = WAVBuilder(format: format).build(samples: [0.5, -0.5, 0.25, -0.25])
        var decoder = WAVStreamDecoder(layout: .interleaved)
        #expect(try decoder.decode(Array(bytes[0..<44])).isEmpty)
        #expect(decoder.format == format)
        #expect(try decoder.decode(Array(bytes[44..<49])).isEmpty)
        #expect(decoder.bufferedByteCount == 5)
        #expect(try decoder.decode(Array(bytes[49..<51])) == [0.5, -0.5])
        #expect(try decoder.decode(Array(bytes[51...])) == [0.25, -0.25])
        #expect(try decoder.finish().isEmpty)
        #expect(decoder.frameCount == 2)
    }

    @Test(arguments: [1, 3, 11, 4097])
    func oddSizedChunksAreSkippedWithTheirPadByte(size: Int) throws {
        let format = WAVFormat(encoding: .unsignedPCM8, sampleRate: 8000, channels: 1)
        var builder = WAVBuilder(format: format)
        // Pad bytes that a reader ignoring them would misread as the next chunk's id.
        let payload = [UInt8](repeating: UInt8(ascii: "d"), count: size)
        builder.chunksBeforeFmt = [.init(id: "bext", payload: payload)]
        builder.chunksBeforeData = [.init(id: "LIST", payload: payload), .init(id: "cue ", payload: payload)]
        builder.chunksAfterData = [.init(id: "LIST", payload: payload)]
        let signal: [Float] = [0, 0.5, -0.5]
        let bytes = builder.build(samples: signal)
        #expect(bytes.count == 12 + 3 * (8 + size + 1) + 8 + 16 + 8 + 3 + 1 + 8 + size + 1)
        let decoded = try WAVFile.decode(bytes)
        #expect(decoded.samples == signal)
        #expect(decoded.warnings.isEmpty)
        #expect(try decodeInPieces(bytes, pieceSizes: [1]).samples == signal)
    }

    @Test func unknownChunksOfEveryKindAreSkipped() throws {
        let format = WAVFormat(encoding: .signedPCM16, sampleRate: 8000, channels: 1)
        var builder = WAVBuilder(format: format)
        builder.chunksBeforeData = ["fact", "cue ", "bext", "LIST", "smpl", "inst", "PEAK", "iXML", "zzzz"].map {
            .init(id: $0, payload: Array($0.utf8) + [1, 2, 3])
        }
        let decoded = try WAVFile.decode(builder.build(samples: [0.25, -0.25]))
        #expect(decoded.samples == [0.25, -0.25])
    }

    @Test func aLargeChunkBeforeDataIsSkippedWithoutBufferingIt() throws {
        let format = WAVFormat(encoding: .signedPCM16, sampleRate: 8000, channels: 2)
        var builder = WAVBuilder(format: format)
        builder.chunksBeforeData = [.init(id: "LIST", payload: [UInt8](repeating: 0x55, count: 4_000_001))]
        let bytes = builder.build(samples: testSignal(frames: 100, channels: 2))
        var decoder = WAVStreamDecoder()
        var samples: [Float] = []
        var maximumBuffered = 0
        var index = 0
        while index < bytes.count {
            let end = min(bytes.count, index + 65_537)
            samples += try decoder.decode(Array(bytes[index..<end]))
            maximumBuffered = max(maximumBuffered, decoder.bufferedByteCount)
            index = end
        }
        #expect(try decoder.finish().isEmpty)
        #expect(maximumBuffered <= 16)
        #expect(samples.count == 100)
        #expect(decoder.bytesConsumed == bytes.count)
    }

    @Test(arguments: [WAVBuilder.SizeField.zero, .unknown])
    func dataSizeZeroOrUnknownIsReadToTheEnd(size: WAVBuilder.SizeField) throws {
        let format = WAVFormat(encoding: .signedPCM16, sampleRate: 8000, channels: 2)
        var builder = WAVBuilder(format: format)
        builder.dataSize = size
        builder.riffSize = size
        let signal = testSignal(frames: 1000, channels: 2)
        let bytes = builder.build(samples: signal)
        let decoded = try WAVFile.decode(bytes, layout: .interleaved)
        #expect(decoded.frameCount == 1000)
        #expect(decoded.warnings.isEmpty)
        expectClose(decoded.samples, signal, tolerance: 1 / 32768)
        #expect(try decodeInPieces(bytes, pieceSizes: [1, 2, 3], layout: .interleaved).samples == decoded.samples)
    }

    @Test func anEmptyDataChunkDecodesToNoSamples() throws {
        let format = WAVFormat(encoding: .signedPCM16, sampleRate: 8000, channels: 1)
        let decoded = try WAVFile.decode(WAVBuilder(format: format).build(samples: []))
        #expect(decoded.samples.isEmpty)
        #expect(decoded.frameCount == 0)
        #expect(decoded.duration == .zero)
        #expect(decoded.warnings.isEmpty)
    }

    @Test func frameCountAndDurationFollowTheFormat() throws {
        let format = WAVFormat(encoding: .signedPCM16, sampleRate: 44100, channels: 2)
        let bytes = WAVFile.encode(testSignal(frames: 66150, channels: 2), format: format)
        let mono = try WAVFile.decode(bytes)
        #expect(mono.frameCount == 66150)
        #expect(mono.duration == .milliseconds(1500))
        let stereo = try WAVFile.decode(bytes, layout: .interleaved)
        #expect(stereo.frameCount == 66150)
        #expect(stereo.samples.count == 132_300)
        #expect(stereo.duration == .milliseconds(1500))
        #expect(format.bytesPerSecond == 176_400)
    }

    @Test func aSecondFmtChunkIsIgnored() throws {
        let format = WAVFormat(encoding: .signedPCM16, sampleRate: 8000, channels: 1)
        var builder = WAVBuilder(format: format)
        let other = WAVBuilder(format: WAVFormat(encoding: .float64, sampleRate: 96000, channels: 8))
        builder.chunksBeforeData = [.init(id: "fmt ", payload: other.generatedFmtPayload())]
        let decoded = try WAVFile.decode(builder.build(samples: [0.5]))
        #expect(decoded.format == format)
        #expect(decoded.samples == [0.5])
    }

    @Test func errorsAreStickyAndInputAfterFinishIsIgnored() throws {
        var failing = WAVStreamDecoder()
        #expect(throws: WAVError.self) { try failing.decode(Array("OggS".utf8)) }
        let again = #expect(throws: WAVError.self) { try failing.decode(Array("RIFF".utf8)) }
        #expect(again?.code == .notRIFF)
        #expect(throws: WAVError.self) { try failing.finish() }

        let format = WAVFormat(encoding: .signedPCM16, sampleRate: 8000, channels: 1)
        var decoder = WAVStreamDecoder()
        #expect(try decoder.decode(WAVBuilder(format: format).build(samples: [0.5])) == [0.5])
        #expect(try decoder.finish().isEmpty)
        #expect(try decoder.decode([1, 2, 3, 4]).isEmpty)
    }

    @Test func errorAndWarningCodesAreStableStrings() {
        let codes: [(WAVError.Code, String)] = [
            (.emptyInput, "empty_input"), (.notRIFF, "not_riff"), (.looksLikeMP3, "mp3_not_wav"),
            (.notWAVE, "not_wave"), (.rf64Unsupported, "rf64_unsupported"), (.missingFmt, "missing_fmt"),
            (.missingData, "missing_data"), (.fmtTooShort, "fmt_too_short"), (.fmtTooLarge, "fmt_too_large"),
            (.unsupportedCodec, "unsupported_codec"), (.unsupportedBitsPerSample, "unsupported_bits_per_sample"),
            (.noChannels, "no_channels"), (.tooManyChannels, "too_many_channels"),
            (.zeroSampleRate, "zero_sample_rate"), (.unsupportedSampleRate, "unsupported_sample_rate"),
            (.blockAlignMismatch, "block_align_mismatch"), (.extensibleFmtTooShort, "extensible_fmt_too_short"),
            (.unknownSubFormat, "unknown_subformat"), (.truncatedHeader, "truncated_header"),
        ]
        for (code, name) in codes {
            #expect(code.name == name)
            #expect("\(code)" == name)
        }
        #expect(WAVWarning.Code.dataShorterThanDeclared.name == "data_shorter_than_declared")
        #expect(WAVWarning.Code.partialFrameDropped.name == "partial_frame_dropped")
    }
}
