import FuzzSupport
import WavecastCore

/// The MP3 frame parser on any bytes: `MP3FrameSplitter` fed in pieces, every frame's header fields and tag check,
/// and `MP3FrameHeader`/`MP3Frame.mainDataBegin` on the leading bytes. Frames must tile the consumed input exactly.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMP3Frames(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let bytes = Array(input)

    if let header = try? MP3FrameHeader(bytes: bytes) {
        fuzzCheck(header.frameLength > header.sideInfoOffset + header.sideInfoLength, "frame shorter than side info")
        _ = (header.duration, header.channelCount, header.samplesPerFrame, header.bytes)
        _ = try? MP3Frame.mainDataBegin(of: bytes)
    }

    var splitter = MP3FrameSplitter()
    var chunker = MP3Chunker(framesPerChunk: 3)
    var frames: [MP3Frame] = []
    var failed = false
    for piece in InputPieces(input) {
        do throws(MP3SplitterError) {
            for frame in try splitter.append(piece) {
                frames.append(frame)
                _ = chunker.append(frame)
            }
        } catch {
            _ = error.description
            failed = true
            break
        }
        fuzzCheck(splitter.bufferedByteCount <= 2 * 1441 + 64, "buffered \(splitter.bufferedByteCount) bytes")
    }
    _ = chunker.flush()
    let consumed = splitter.consumedByteCount
    if !failed {
        do throws(MP3SplitterError) {
            try splitter.finish()
        } catch {
            _ = error.description
        }
    }

    // The frames are the last `sum of lengths` bytes consumed (after any ID3 tag), in order, each as long as its
    // header says. A call that throws drops the frames it had completed, so tiling is checked only without error.
    let framed = frames.reduce(0) { $0 + $1.bytes.count }
    fuzzCheck(framed <= consumed && consumed <= size, "frames \(framed), consumed \(consumed), input \(size)")
    var offset = consumed - framed
    for frame in frames {
        fuzzCheck(frame.bytes.count == frame.header.frameLength, "frame of \(frame.bytes.count) bytes")
        if !failed {
            let original = bytes[offset..<offset + frame.bytes.count]
            fuzzCheck(original.elementsEqual(frame.bytes), "frame at \(offset) differs")
        }
        _ = (frame.isSync, frame.isXingOrInfoTag, frame.sampleCount, frame.header.duration)
        offset += frame.bytes.count
    }
    return 0
}
