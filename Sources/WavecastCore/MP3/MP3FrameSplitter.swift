/// Cuts an MP3 byte stream, fed in pieces of any size, into whole frames.
///
/// Feed it what an encoder returns with ``append(_:)``; each call returns the frames completed so far, in order, and
/// keeps a partial frame for the next call. An ID3v2 tag at the very start of the stream is skipped. The splitter
/// never resynchronises over garbage: bytes at a frame boundary that are not a valid Layer III header are an error.
///
/// ```swift
/// var splitter = MP3FrameSplitter()
/// for piece in pieces {
///     for frame in try splitter.append(piece) { … }
/// }
/// try splitter.finish()
/// ```
public struct MP3FrameSplitter: Sendable {
    private enum Phase: Sendable {
        case lookingForID3
        case skippingID3(remaining: Int)
        case frames
    }

    private static let id3Magic: [UInt8] = Array("ID3".utf8)
    private static let id3HeaderLength = 10

    private var buffer: [UInt8] = []
    private var start = 0
    private var streamOffset = 0
    private var phase = Phase.lookingForID3
    private var failure: MP3SplitterError?

    /// Makes a splitter at the start of a stream.
    public init() {}

    /// The number of bytes held for the next call: a partial frame (or tag header).
    public var bufferedByteCount: Int {
        self.buffer.count - self.start
    }

    /// The number of bytes consumed so far (ID3 tag and whole frames), i.e. the stream offset of the next frame.
    public var consumedByteCount: Int {
        self.streamOffset
    }

    /// Adds the next piece of the stream and returns the frames it completes.
    ///
    /// - Parameters:
    ///   - bytes: The next bytes of the stream, of any length.
    /// - Returns: The whole frames completed by these bytes, in stream order; maybe none.
    /// - Throws: ``MP3SplitterError`` if a frame boundary does not hold a valid header or the ID3v2 tag is malformed.
    ///   After an error the splitter keeps throwing it.
    public mutating func append<Bytes: Sequence>(
        _ bytes: Bytes
    ) throws(MP3SplitterError) -> [MP3Frame] where Bytes.Element == UInt8 {
        if let failure = self.failure {
            throw failure
        }
        self.buffer.append(contentsOf: bytes)
        var frames: [MP3Frame] = []
        do {
            try self.split(into: &frames)
        } catch {
            self.failure = error
            throw error
        }
        if self.start > 0 {
            self.buffer.removeFirst(self.start)
            self.start = 0
        }
        return frames
    }

    /// Ends the stream, checking that no partial frame is left over, and makes the splitter ready for a new stream.
    ///
    /// - Throws: ``MP3SplitterError`` if bytes are left over (a partial frame or ID3v2 tag), or an earlier call failed.
    public mutating func finish() throws(MP3SplitterError) {
        if let failure = self.failure {
            throw failure
        }
        let leftover = Array(self.buffer[self.start...])
        let offset = self.streamOffset
        let phase = self.phase
        self = MP3FrameSplitter()
        switch phase {
        case .skippingID3(let remaining):
            throw .truncatedID3Tag(offset: offset, missing: remaining)
        case .lookingForID3 where !leftover.isEmpty:
            throw .truncatedID3Tag(offset: offset, missing: Self.id3HeaderLength - leftover.count)
        case .lookingForID3, .frames:
            guard !leftover.isEmpty else {
                return
            }
            let frameLength = try? MP3FrameHeader(bytes: leftover).frameLength
            throw .truncatedFrame(offset: offset, bytes: leftover, frameLength: frameLength)
        }
    }

    private mutating func split(into frames: inout [MP3Frame]) throws(MP3SplitterError) {
        while true {
            let available = self.buffer.count - self.start
            switch self.phase {
            case .lookingForID3:
                let seen = self.buffer[self.start..<self.start + min(available, Self.id3Magic.count)]
                guard seen.elementsEqual(Self.id3Magic.prefix(seen.count)) else {
                    self.phase = .frames
                    continue
                }
                guard available >= Self.id3HeaderLength else {
                    return
                }
                let tagHeader = Array(self.buffer[self.start..<self.start + Self.id3HeaderLength])
                let sizeBytes = tagHeader[6..<10]
                guard sizeBytes.allSatisfy({ $0 < 0x80 }) else {
                    throw .invalidID3Tag(offset: self.streamOffset, bytes: tagHeader)
                }
                let size = sizeBytes.reduce(0) { $0 << 7 | Int($1) }
                let hasFooter = tagHeader[5] & 0x10 != 0
                self.phase = .skippingID3(remaining: Self.id3HeaderLength + size + (hasFooter ? 10 : 0))
            case .skippingID3(let remaining):
                let skipped = min(remaining, available)
                self.start += skipped
                self.streamOffset += skipped
                guard skipped == remaining else {
                    self.phase = .skippingID3(remaining: remaining - skipped)
                    return
                }
                self.phase = .frames
            case .frames:
                guard available >= MP3FrameHeader.length else {
                    return
                }
                let header: MP3FrameHeader
                do {
                    header = try MP3FrameHeader(bytes: self.buffer[self.start...])
                } catch {
                    let seen = Array(self.buffer[self.start..<self.start + min(available, 8)])
                    throw .invalidHeader(offset: self.streamOffset, bytes: seen, reason: error)
                }
                let length = header.frameLength
                guard available >= length else {
                    return
                }
                let frameBytes = Array(self.buffer[self.start..<self.start + length])
                do {
                    frames.append(try MP3Frame(bytes: frameBytes))
                } catch {
                    throw .invalidHeader(offset: self.streamOffset, bytes: Array(frameBytes.prefix(8)), reason: error)
                }
                self.start += length
                self.streamOffset += length
            }
        }
    }
}
