import Testing

@testable import WavecastCore

struct MP3FrameHeaderTests {
    @Test func mpeg25At8kHz8kbpsMono() throws {
        let header = try MP3FrameHeader(bytes: MP3TestBytes.fromHex("FF E3 18 C4"))
        #expect(header.rawValue == 0xFFE3_18C4)
        #expect(header.version == .mpeg2_5)
        #expect(header.bitrate == 8)
        #expect(header.sampleRate == 8000)
        #expect(!header.hasPadding)
        #expect(!header.hasCRC)
        #expect(header.channelMode == .mono)
        #expect(header.channelCount == 1)
        #expect(header.frameLength == 72)
        #expect(header.samplesPerFrame == 576)
        #expect(header.duration == .milliseconds(72))
        #expect(header.sideInfoLength == 9)
        #expect(header.sideInfoOffset == 4)
        #expect(header.bytes == MP3TestBytes.fromHex("FF E3 18 C4"))
    }

    @Test func paddingAddsOneByte() throws {
        let header = try MP3FrameHeader(bytes: MP3TestBytes.fromHex("FF E3 1A C4"))
        #expect(header.hasPadding)
        #expect(header.frameLength == 73)
    }

    @Test func protectionBitZeroMeansCRC() throws {
        let header = try MP3FrameHeader(bytes: MP3TestBytes.fromHex("FF E2 18 C4"))
        #expect(header.hasCRC)
        #expect(header.sideInfoOffset == 6)
        #expect(header.frameLength == 72)
    }

    @Test func mpeg1At44100Hz128kbpsJointStereo() throws {
        let header = try MP3FrameHeader(bytes: MP3TestBytes.fromHex("FF FB 90 64"))
        #expect(header.version == .mpeg1)
        #expect(header.bitrate == 128)
        #expect(header.sampleRate == 44100)
        #expect(header.channelMode == .jointStereo)
        #expect(header.channelCount == 2)
        #expect(!header.hasCRC)
        #expect(header.frameLength == 417)
        #expect(header.samplesPerFrame == 1152)
        #expect(header.duration == Duration(secondsComponent: 0, attosecondsComponent: 26_122_448_979_591_836))
        #expect(header.sideInfoLength == 32)

        let padded = try MP3FrameHeader(bytes: MP3TestBytes.fromHex("FF FB 92 64"))
        #expect(padded.frameLength == 418)
        let mono = try MP3FrameHeader(bytes: MP3TestBytes.fromHex("FF FB 90 C4"))
        #expect(mono.sideInfoLength == 17)
        let at48k = try MP3FrameHeader(bytes: MP3TestBytes.fromHex("FF FB 94 04"))
        #expect(at48k.sampleRate == 48000)
        #expect(at48k.channelMode == .stereo)
        #expect(at48k.frameLength == 384)
        #expect(at48k.duration == .milliseconds(24))
    }

    @Test func mpeg2At22050Hz32kbps() throws {
        let mono = try MP3FrameHeader(bytes: MP3TestBytes.fromHex("FF F3 40 C4"))
        #expect(mono.version == .mpeg2)
        #expect(mono.bitrate == 32)
        #expect(mono.sampleRate == 22050)
        #expect(mono.frameLength == 104)
        #expect(mono.samplesPerFrame == 576)
        #expect(mono.sideInfoLength == 9)

        let dual = try MP3FrameHeader(bytes: MP3TestBytes.fromHex("FF F2 44 84"))
        #expect(dual.hasCRC)
        #expect(dual.sampleRate == 24000)
        #expect(dual.channelMode == .dualChannel)
        #expect(dual.sideInfoLength == 17)
        #expect(dual.frameLength == 96)
        #expect(dual.duration == .milliseconds(24))
    }

    @Test func ignoresBytesAfterTheHeader() throws {
        let header = try MP3FrameHeader(bytes: MP3TestBytes.fromHex("FF E3 18 C4 00 11 22")[...])
        #expect(header.frameLength == 72)
    }

    @Test(arguments: [
        ("FF E3 18", MP3HeaderError.truncated(needed: 4, got: 3)),
        ("", .truncated(needed: 4, got: 0)),
        ("FE E3 18 C4", .noSync(0xFE, 0xE3)),
        ("FF C3 18 C4", .noSync(0xFF, 0xC3)),
        ("00 00 00 00", .noSync(0x00, 0x00)),
        ("FF EB 18 C4", .reservedVersion),
        ("FF E1 18 C4", .reservedLayer),
        ("FF E5 18 C4", .unsupportedLayer(2)),
        ("FF FD 90 64", .unsupportedLayer(2)),
        ("FF E7 18 C4", .unsupportedLayer(1)),
        ("FF E3 08 C4", .freeBitrate),
        ("FF E3 F8 C4", .badBitrateIndex),
        ("FF E3 1C C4", .reservedSampleRate(.mpeg2_5)),
        ("FF FB 9C 64", .reservedSampleRate(.mpeg1)),
    ])
    func rejects(hex: String, error: MP3HeaderError) {
        #expect(throws: error) {
            try MP3FrameHeader(bytes: MP3TestBytes.fromHex(hex))
        }
    }

    @Test func errorsHaveCodesAndMessages() {
        #expect(MP3HeaderError.unsupportedLayer(2).code == "mp3.unsupported_layer")
        #expect(MP3HeaderError.unsupportedLayer(2).description.contains("Layer II frame"))
        #expect(MP3HeaderError.unsupportedLayer(1).description.contains("Layer I frame"))
        #expect(MP3HeaderError.noSync(0xFE, 0xE3).description.contains("FE E3"))
        #expect(MP3HeaderError.freeBitrate.code == "mp3.free_bitrate")
        #expect(MP3HeaderError.badBitrateIndex.code == "mp3.bad_bitrate_index")
        #expect(MP3HeaderError.reservedSampleRate(.mpeg2).description.contains("22050, 24000, 16000"))
        #expect(MP3HeaderError.truncated(needed: 4, got: 3).description == "MP3 data too short: needs 4 bytes, got 3")
    }

    /// Every version × bitrate index × sample rate index against hand-written tables and the frame length formula.
    @Test func frameLengthTable() throws {
        let versionBits: [(MPEGVersion, UInt32)] = [(.mpeg1, 0b11), (.mpeg2, 0b10), (.mpeg2_5, 0b00)]
        let bitrates: [MPEGVersion: [Int]] = [
            .mpeg1: [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
            .mpeg2: [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
            .mpeg2_5: [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
        ]
        let rates: [MPEGVersion: [Int]] = [
            .mpeg1: [44100, 48000, 32000], .mpeg2: [22050, 24000, 16000], .mpeg2_5: [11025, 12000, 8000],
        ]
        for (version, bits) in versionBits {
            for bitrateIndex in 1...14 {
                for rateIndex in 0...2 {
                    for padding in [0, 1] as [UInt32] {
                        let raw =
                            0xFFE0_0000 | bits << 19 | 0b01 << 17 | 1 << 16 | UInt32(bitrateIndex) << 12
                            | UInt32(rateIndex) << 10 | padding << 9 | 0b11 << 6
                        let header = try MP3FrameHeader(rawValue: raw)
                        let bitrate = bitrates[version]![bitrateIndex - 1]
                        let rate = rates[version]![rateIndex]
                        #expect(header.version == version)
                        #expect(header.bitrate == bitrate)
                        #expect(header.sampleRate == rate)
                        let coefficient = version == .mpeg1 ? 144 : 72
                        #expect(header.frameLength == coefficient * bitrate * 1000 / rate + Int(padding))
                        #expect(header.samplesPerFrame == (version == .mpeg1 ? 1152 : 576))
                    }
                }
            }
        }
    }

    @Test(arguments: [
        (0xFFFB_9064 as UInt32, 417),  // MPEG-1 128 kbps 44100 Hz
        (0xFFFB_E404, 960),  // MPEG-1 320 kbps 48000 Hz
        (0xFFFB_1804, 144),  // MPEG-1 32 kbps 32000 Hz
        (0xFFF3_E804, 720),  // MPEG-2 160 kbps 16000 Hz
        (0xFFF3_1404, 24),  // MPEG-2 8 kbps 24000 Hz
        (0xFFE3_1004, 52),  // MPEG-2.5 8 kbps 11025 Hz
        (0xFFE3_E804, 1440),  // MPEG-2.5 160 kbps 8000 Hz
        (0xFFE3_1804, 72),  // MPEG-2.5 8 kbps 8000 Hz
    ])
    func knownFrameLengths(raw: UInt32, length: Int) throws {
        #expect(try MP3FrameHeader(rawValue: raw).frameLength == length)
    }
}
