/// Why an MP3 byte stream could not be cut into whole frames.
public struct MP3SplitterError: Error, Sendable, Hashable {
    private enum Base: Sendable, Hashable {
        case invalidHeader(offset: Int, bytes: [UInt8], reason: MP3HeaderError)
        case truncatedFrame(offset: Int, bytes: [UInt8], frameLength: Int?)
        case invalidID3Tag(offset: Int, bytes: [UInt8])
        case truncatedID3Tag(offset: Int, missing: Int)
    }

    private let base: Base

    private init(_ base: Base) {
        self.base = base
    }

    /// The bytes at a frame boundary are not a valid MP3 frame header.
    ///
    /// - Parameters:
    ///   - offset: The offset of the boundary in the whole stream, counted from its first byte.
    ///   - bytes: The first bytes seen at that offset (up to 8).
    ///   - reason: What is wrong with them as a header.
    public static func invalidHeader(offset: Int, bytes: [UInt8], reason: MP3HeaderError) -> Self {
        Self(.invalidHeader(offset: offset, bytes: bytes, reason: reason))
    }

    /// The stream ended inside a frame, or with bytes too few to be a frame header.
    ///
    /// - Parameters:
    ///   - offset: The offset of the partial frame in the whole stream.
    ///   - bytes: The leftover bytes (up to 8 shown in the description).
    ///   - frameLength: The length the frame's header promised, or `nil` if there were fewer than 4 bytes.
    public static func truncatedFrame(offset: Int, bytes: [UInt8], frameLength: Int?) -> Self {
        Self(.truncatedFrame(offset: offset, bytes: bytes, frameLength: frameLength))
    }

    /// The stream starts with "ID3" but the tag's size is not a syncsafe integer.
    ///
    /// - Parameters:
    ///   - offset: The offset of the tag (0).
    ///   - bytes: The 10 bytes of the ID3v2 tag header.
    public static func invalidID3Tag(offset: Int, bytes: [UInt8]) -> Self {
        Self(.invalidID3Tag(offset: offset, bytes: bytes))
    }

    /// The stream ended inside its leading ID3v2 tag.
    ///
    /// - Parameters:
    ///   - offset: The offset where the stream ended.
    ///   - missing: How many bytes of the tag were still to come.
    public static func truncatedID3Tag(offset: Int, missing: Int) -> Self {
        Self(.truncatedID3Tag(offset: offset, missing: missing))
    }

    /// A stable short identifier of the kind of error, e.g. `"mp3.invalid_header"`.
    public var code: String {
        switch self.base {
        case .invalidHeader: "mp3.invalid_header"
        case .truncatedFrame: "mp3.truncated_frame"
        case .invalidID3Tag: "mp3.invalid_id3_tag"
        case .truncatedID3Tag: "mp3.truncated_id3_tag"
        }
    }

    /// The offset in the whole stream at which the problem was found.
    public var offset: Int {
        switch self.base {
        case .invalidHeader(let offset, _, _): offset
        case .truncatedFrame(let offset, _, _): offset
        case .invalidID3Tag(let offset, _): offset
        case .truncatedID3Tag(let offset, _): offset
        }
    }
}

extension MP3SplitterError: CustomStringConvertible {
    /// A message a person can act on.
    public var description: String {
        switch self.base {
        case .invalidHeader(let offset, let bytes, let reason):
            "no valid MP3 frame header at byte offset \(offset) "
                + "(saw \(MP3SampleClock.hexString(bytes))): \(reason); "
                + "the data is not whole MP3 frames, or a frame before it was cut"
        case .truncatedFrame(let offset, let bytes, let frameLength?):
            "MP3 stream ends inside a frame at byte offset \(offset): "
                + "\(bytes.count) of its \(frameLength) bytes present "
                + "(starts \(MP3SampleClock.hexString(bytes.prefix(8))))"
        case .truncatedFrame(let offset, let bytes, nil):
            "MP3 stream ends with \(bytes.count) stray byte(s) at byte offset \(offset), "
                + "too few for a frame header: \(MP3SampleClock.hexString(bytes))"
        case .invalidID3Tag(let offset, let bytes):
            "ID3v2 tag at byte offset \(offset) has a size that is not syncsafe (a byte ≥ 0x80): "
                + MP3SampleClock.hexString(bytes)
        case .truncatedID3Tag(let offset, let missing):
            "MP3 stream ends at byte offset \(offset) inside its ID3v2 tag, \(missing) byte(s) short"
        }
    }
}
