import Testing

@testable import WavecastCore

struct MP3ChunkerTests {
    static let frames: [MP3Frame] = [0, 7, 0, 0, 3].enumerated().map { index, mainDataBegin in
        try! MP3Frame(bytes: MP3TestBytes.frame(header: 0xFFE3_18C4, mainDataBegin: mainDataBegin, fill: UInt8(index)))
    }

    @Test func defaultIsOneFramePerChunk() {
        var chunker = MP3Chunker()
        #expect(chunker.framesPerChunk == 1)
        let chunks = Self.frames.compactMap { chunker.append($0) }
        #expect(chunks.count == 5)
        #expect(chunks.map(\.bytes) == Self.frames.map(\.bytes))
        #expect(chunks.map(\.isSync) == [true, false, true, true, false])
        #expect(chunks.allSatisfy { $0.frameCount == 1 && $0.sampleCount == 576 })
        #expect(chunker.flush() == nil)
    }

    @Test func groupsFramesAndFlushesTheShortLastChunk() {
        var chunker = MP3Chunker(framesPerChunk: 2)
        var chunks: [MP3Chunk] = []
        for (index, frame) in Self.frames.enumerated() {
            let chunk = chunker.append(frame)
            #expect((chunk != nil) == (index % 2 == 1))
            chunks += chunk.map { [$0] } ?? []
        }
        #expect(chunker.pendingFrameCount == 1)
        chunks += chunker.flush().map { [$0] } ?? []
        #expect(chunker.pendingFrameCount == 0)
        #expect(chunker.flush() == nil)

        #expect(chunks.map(\.frameCount) == [2, 2, 1])
        #expect(chunks.map(\.sampleCount) == [1152, 1152, 576])
        #expect(chunks.map(\.bytes.count) == [144, 144, 72])
        // Sync follows the first frame of each chunk: frames 0, 2 and 4 have main_data_begin 0, 0, 3.
        #expect(chunks.map(\.isSync) == [true, true, false])
        #expect(chunks[0].bytes == Self.frames[0].bytes + Self.frames[1].bytes)
        #expect(chunks[2] == MP3Chunk(bytes: Self.frames[4].bytes, frameCount: 1, sampleCount: 576, isSync: false))
    }

    @Test func chunkOfFrames() {
        let chunk = MP3Chunk(frames: Array(Self.frames[1...3]))
        #expect(chunk.frameCount == 3)
        #expect(chunk.sampleCount == 1728)
        #expect(!chunk.isSync)
        #expect(chunk.bytes.count == 216)
    }
}
