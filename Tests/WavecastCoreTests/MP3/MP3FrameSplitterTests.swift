import Testing

@testable import WavecastCore

struct MP3FrameSplitterTests {
    /// Six frames of an 8 kHz stream: padded and unpadded, with and without CRC, sync and leaning on the reservoir.
    static let frames: [[UInt8]] = [
        MP3TestBytes.frame(header: 0xFFE3_18C4, mainDataBegin: 0, fill: 0x11),
        MP3TestBytes.frame(header: 0xFFE3_1AC4, mainDataBegin: 5, fill: 0x22),
        MP3TestBytes.frame(header: 0xFFE2_18C4, mainDataBegin: 0, fill: 0x33),
        MP3TestBytes.frame(header: 0xFFE3_18C4, mainDataBegin: 40, fill: 0x44),
        MP3TestBytes.frame(header: 0xFFE3_1AC4, mainDataBegin: 0, fill: 0x55),
        MP3TestBytes.frame(header: 0xFFE3_18C4, mainDataBegin: 1, fill: 0x66),
    ]
    static let stream = Self.frames.flatMap { $0 }

    @Test func splitsOneShot() throws {
        var splitter = MP3FrameSplitter()
        let frames = try splitter.append(Self.stream)
        #expect(frames.map(\.bytes) == Self.frames)
        #expect(frames.map(\.mainDataBegin) == [0, 5, 0, 40, 0, 1])
        #expect(frames.map(\.isSync) == [true, false, true, false, true, false])
        #expect(splitter.bufferedByteCount == 0)
        #expect(splitter.consumedByteCount == Self.stream.count)
        try splitter.finish()
    }

    @Test func oneByteAtATimeEqualsOneShot() throws {
        var splitter = MP3FrameSplitter()
        var frames: [MP3Frame] = []
        for byte in Self.stream {
            frames += try splitter.append([byte])
        }
        try splitter.finish()
        var oneShot = MP3FrameSplitter()
        #expect(try frames == oneShot.append(Self.stream))
    }

    @Test(arguments: [2, 3, 7, 71, 72, 73, 100, 1000])
    func piecesOfAnySizeEqualOneShot(pieceSize: Int) throws {
        var splitter = MP3FrameSplitter()
        var frames: [MP3Frame] = []
        var index = 0
        while index < Self.stream.count {
            let end = min(index + pieceSize, Self.stream.count)
            frames += try splitter.append(Self.stream[index..<end])
            index = end
        }
        try splitter.finish()
        #expect(frames.map(\.bytes) == Self.frames)
    }

    @Test func keepsAPartialFrameForTheNextCall() throws {
        var splitter = MP3FrameSplitter()
        #expect(try splitter.append(Self.stream.prefix(100)).count == 1)
        #expect(splitter.bufferedByteCount == 28)
        #expect(try splitter.append([]).isEmpty)
        #expect(try splitter.append(Self.stream.dropFirst(100).prefix(45)).map(\.bytes) == [Self.frames[1]])
        #expect(splitter.bufferedByteCount == 0)
    }

    @Test func garbageAtAFrameBoundaryIsAnError() throws {
        var splitter = MP3FrameSplitter()
        let stream = Self.frames[0] + MP3TestBytes.fromHex("00 11 22 33 44 55 66 77 88 99") + Self.frames[1]
        let error = #expect(throws: MP3SplitterError.self) {
            try splitter.append(stream)
        }
        #expect(
            error
                == .invalidHeader(
                    offset: 72,
                    bytes: MP3TestBytes.fromHex("00 11 22 33 44 55 66 77"),
                    reason: .noSync(0x00, 0x11)
                )
        )
        #expect(error?.code == "mp3.invalid_header")
        #expect(error?.offset == 72)
        #expect(error?.description.contains("byte offset 72") == true)
        #expect(error?.description.contains("00 11 22 33") == true)

        // The splitter does not resynchronise on the next frame: it keeps failing.
        #expect(throws: error!) {
            try splitter.append(Self.frames[2])
        }
        #expect(throws: error!) {
            try splitter.finish()
        }
    }

    @Test func garbageFedByteByByteIsFoundAtTheSameOffset() throws {
        var splitter = MP3FrameSplitter()
        let stream = Self.frames[0] + Self.frames[1] + MP3TestBytes.fromHex("FF E5 18 C4") + Self.frames[2]
        var caught: MP3SplitterError?
        for byte in stream where caught == nil {
            do {
                _ = try splitter.append([byte])
            } catch {
                caught = error
            }
        }
        #expect(
            caught
                == .invalidHeader(offset: 145, bytes: MP3TestBytes.fromHex("FF E5 18 C4"), reason: .unsupportedLayer(2))
        )
    }

    @Test func aCutFrameMisalignsTheNextBoundary() {
        var splitter = MP3FrameSplitter()
        let stream = Self.frames[0].dropLast(10) + Self.frames[3]
        #expect(throws: MP3SplitterError.self) {
            try splitter.append(stream)
        }
    }

    @Test func finishReportsAPartialFrame() throws {
        var splitter = MP3FrameSplitter()
        _ = try splitter.append(Self.frames[0] + Self.frames[1].prefix(30))
        let error = #expect(throws: MP3SplitterError.self) {
            try splitter.finish()
        }
        #expect(error == .truncatedFrame(offset: 72, bytes: Array(Self.frames[1].prefix(30)), frameLength: 73))
        #expect(error?.code == "mp3.truncated_frame")
        #expect(error?.description.contains("30 of its 73 bytes") == true)
        // finish() leaves the splitter ready for a new stream.
        #expect(try splitter.append(Self.frames[2]).count == 1)
        try splitter.finish()
    }

    @Test func finishReportsStrayBytes() throws {
        var splitter = MP3FrameSplitter()
        _ = try splitter.append(Self.frames[0] + [0xFF, 0xE3])
        #expect(throws: MP3SplitterError.truncatedFrame(offset: 72, bytes: [0xFF, 0xE3], frameLength: nil)) {
            try splitter.finish()
        }
    }

    @Test func emptyStreamIsFine() throws {
        var splitter = MP3FrameSplitter()
        #expect(try splitter.append([]).isEmpty)
        try splitter.finish()
    }

    /// "ID3", version 4.0, flags, syncsafe size, then the tag body.
    static func id3Tag(bodySize: Int, footer: Bool = false) -> [UInt8] {
        let size = [21, 14, 7, 0].map { UInt8((bodySize >> $0) & 0x7F) }
        return Array("ID3".utf8) + [4, 0, footer ? 0x10 : 0] + size + [UInt8](repeating: 0xFF, count: bodySize)
            + (footer ? Array("3DI".utf8) + [4, 0, 0x10] + size : [])
    }

    @Test func skipsALeadingID3v2Tag() throws {
        let tag = Self.id3Tag(bodySize: 300)
        #expect(tag[6..<10] == [0, 0, 2, 44])
        var splitter = MP3FrameSplitter()
        #expect(try splitter.append(tag + Self.stream).map(\.bytes) == Self.frames)
        #expect(splitter.consumedByteCount == tag.count + Self.stream.count)
        try splitter.finish()

        var byteByByte = MP3FrameSplitter()
        var frames: [MP3Frame] = []
        for byte in tag + Self.stream {
            frames += try byteByByte.append([byte])
        }
        #expect(frames.map(\.bytes) == Self.frames)
        try byteByByte.finish()
    }

    @Test func skipsAnID3v2TagWithAFooter() throws {
        var splitter = MP3FrameSplitter()
        #expect(try splitter.append(Self.id3Tag(bodySize: 20, footer: true) + Self.stream).map(\.bytes) == Self.frames)
    }

    @Test func skipsAnEmptyID3v2Tag() throws {
        var splitter = MP3FrameSplitter()
        #expect(try splitter.append(Self.id3Tag(bodySize: 0) + Self.stream).count == Self.frames.count)
    }

    @Test func skipsID3OnlyAtTheStart() {
        var splitter = MP3FrameSplitter()
        let error = #expect(throws: MP3SplitterError.self) {
            try splitter.append(Self.frames[0] + Self.id3Tag(bodySize: 10))
        }
        #expect(error?.offset == 72)
    }

    @Test func rejectsAnID3SizeThatIsNotSyncsafe() {
        var splitter = MP3FrameSplitter()
        var tag = Self.id3Tag(bodySize: 10)
        tag[8] = 0x80
        #expect(throws: MP3SplitterError.invalidID3Tag(offset: 0, bytes: Array(tag.prefix(10)))) {
            try splitter.append(tag + Self.stream)
        }
    }

    @Test func finishReportsATruncatedID3Tag() throws {
        var splitter = MP3FrameSplitter()
        _ = try splitter.append(Self.id3Tag(bodySize: 100).prefix(50))
        #expect(throws: MP3SplitterError.truncatedID3Tag(offset: 50, missing: 60)) {
            try splitter.finish()
        }
        _ = try splitter.append(Array("ID".utf8))
        #expect(throws: MP3SplitterError.truncatedID3Tag(offset: 0, missing: 8)) {
            try splitter.finish()
        }
    }

    @Test func notID3AfterAll() {
        var splitter = MP3FrameSplitter()
        #expect(
            throws: MP3SplitterError.invalidHeader(offset: 0, bytes: Array("IDX!".utf8), reason: .noSync(0x49, 0x44))
        ) {
            try splitter.append(Array("IDX!".utf8))
        }
    }
}
