import Testing

@testable import WavecastCore

struct MP3FrameTests {
    @Test func mainDataBeginIs8BitsForMPEG25() throws {
        var frame = MP3TestBytes.frame(header: 0xFFE3_18C4)
        frame[4] = 0xAB
        #expect(try MP3Frame.mainDataBegin(of: frame) == 171)
        #expect(try MP3Frame(bytes: frame).mainDataBegin == 171)
        #expect(try !MP3Frame(bytes: frame).isSync)
    }

    @Test func mainDataBeginIs8BitsForMPEG25WithCRC() throws {
        let frame = MP3TestBytes.frame(header: 0xFFE2_18C4, mainDataBegin: 0x42)
        #expect(frame[4...6] == [0xAB, 0xCD, 0x42])
        #expect(try MP3Frame.mainDataBegin(of: frame) == 0x42)
    }

    @Test func mainDataBeginIs8BitsForMPEG2() throws {
        let frame = MP3TestBytes.frame(header: 0xFFF3_40C4, mainDataBegin: 255)
        #expect(try MP3Frame.mainDataBegin(of: frame) == 255)
    }

    @Test(arguments: [
        ([0xFF, 0x80] as [UInt8], 511),
        ([0x00, 0x80], 1),
        ([0x80, 0x00], 256),
        ([0x00, 0x7F], 0),
        ([0x7F, 0xFF], 255),
    ])
    func mainDataBeginIs9BitsForMPEG1(sideInfo: [UInt8], expected: Int) throws {
        let plain = MP3TestBytes.fromHex("FF FB 90 64") + sideInfo
        #expect(try MP3Frame.mainDataBegin(of: plain) == expected)
        let withCRC = MP3TestBytes.fromHex("FF FA 90 64 FF FF") + sideInfo
        #expect(try MP3Frame.mainDataBegin(of: withCRC) == expected)
    }

    @Test func syncFrameHasZeroMainDataBegin() throws {
        let frame = try MP3Frame(bytes: MP3TestBytes.frame(header: 0xFFFB_9064, mainDataBegin: 0, fill: 0xFF))
        #expect(frame.mainDataBegin == 0)
        #expect(frame.isSync)
        #expect(frame.sampleCount == 1152)
        let leaning = try MP3Frame(bytes: MP3TestBytes.frame(header: 0xFFFB_9064, mainDataBegin: 300))
        #expect(leaning.mainDataBegin == 300)
        #expect(!leaning.isSync)
    }

    @Test func mainDataBeginNeedsTheSideInfo() {
        #expect(throws: MP3HeaderError.truncated(needed: 5, got: 4)) {
            try MP3Frame.mainDataBegin(of: MP3TestBytes.fromHex("FF E3 18 C4"))
        }
        #expect(throws: MP3HeaderError.truncated(needed: 7, got: 6)) {
            try MP3Frame.mainDataBegin(of: MP3TestBytes.fromHex("FF E2 18 C4 12 34"))
        }
        #expect(throws: MP3HeaderError.truncated(needed: 8, got: 7)) {
            try MP3Frame.mainDataBegin(of: MP3TestBytes.fromHex("FF FA 90 64 12 34 FF"))
        }
        #expect(throws: MP3HeaderError.truncated(needed: 4, got: 2)) {
            try MP3Frame.mainDataBegin(of: MP3TestBytes.fromHex("FF E3"))
        }
        #expect(throws: MP3HeaderError.unsupportedLayer(2)) {
            try MP3Frame.mainDataBegin(of: MP3TestBytes.fromHex("FF E5 18 C4 00"))
        }
    }

    @Test func frameMustBeExactlyAsLongAsItsHeaderSays() {
        let frame = MP3TestBytes.frame(header: 0xFFE3_18C4)
        #expect(throws: MP3HeaderError.frameLengthMismatch(expected: 72, got: 71)) {
            try MP3Frame(bytes: Array(frame.dropLast()))
        }
        #expect(throws: MP3HeaderError.frameLengthMismatch(expected: 72, got: 73)) {
            try MP3Frame(bytes: frame + [0])
        }
        #expect(throws: MP3HeaderError.frameLengthMismatch(expected: 73, got: 72)) {
            try MP3Frame(bytes: MP3TestBytes.fromHex("FF E3 1A C4") + frame.dropFirst(4))
        }
    }

    @Test func detectsXingInfoAndVBRITags() throws {
        // MPEG-1 stereo: the tag sits after 4 + 32 bytes.
        var info = MP3TestBytes.frame(header: 0xFFFB_9064, fill: 0)
        info.replaceSubrange(36..<40, with: Array("Info".utf8))
        #expect(try MP3Frame(bytes: info).isXingOrInfoTag)

        // MPEG-2.5 mono: after 4 + 9 bytes.
        var xing = MP3TestBytes.frame(header: 0xFFE3_18C4, fill: 0)
        xing.replaceSubrange(13..<17, with: Array("Xing".utf8))
        #expect(try MP3Frame(bytes: xing).isXingOrInfoTag)

        // With a CRC the side information, and so the tag, moves 2 bytes on.
        var xingWithCRC = MP3TestBytes.frame(header: 0xFFE2_18C4, fill: 0)
        xingWithCRC.replaceSubrange(15..<19, with: Array("Xing".utf8))
        #expect(try MP3Frame(bytes: xingWithCRC).isXingOrInfoTag)
        var misplaced = MP3TestBytes.frame(header: 0xFFE2_18C4, fill: 0)
        misplaced.replaceSubrange(13..<17, with: Array("Xing".utf8))
        #expect(try !MP3Frame(bytes: misplaced).isXingOrInfoTag)

        var vbri = MP3TestBytes.frame(header: 0xFFFB_9064, fill: 0)
        vbri.replaceSubrange(36..<40, with: Array("VBRI".utf8))
        #expect(try MP3Frame(bytes: vbri).isXingOrInfoTag)

        #expect(try !MP3Frame(bytes: MP3TestBytes.frame(header: 0xFFFB_9064)).isXingOrInfoTag)
        #expect(try !MP3Frame(bytes: MP3TestBytes.frame(header: 0xFFE3_18C4)).isXingOrInfoTag)
    }
}
