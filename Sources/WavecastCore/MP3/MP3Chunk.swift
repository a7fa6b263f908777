/// A run of whole MP3 frames sent as one unit.
public struct MP3Chunk: Sendable, Hashable {
    /// The frames' bytes, concatenated.
    public let bytes: [UInt8]
    /// The number of frames.
    public let frameCount: Int
    /// The number of PCM samples (per channel) the frames decode to.
    public let sampleCount: Int
    /// Whether the first frame decodes on its own (`main_data_begin == 0`): a new listener may start here.
    public let isSync: Bool
    /// The same stretch of the stream as G.711 µ-law at 8 kHz, when the stream has that rendition: published right
    /// after the chunk, with its number and time, so pacing it and dropping it (`clear`) go with the MP3.
    public var muLaw: [UInt8]?

    /// Makes a chunk from its parts.
    ///
    /// - Parameters:
    ///   - bytes: The frames' bytes, concatenated.
    ///   - frameCount: The number of frames.
    ///   - sampleCount: The number of PCM samples (per channel) they decode to.
    ///   - isSync: Whether the first frame decodes on its own.
    public init(bytes: [UInt8], frameCount: Int, sampleCount: Int, isSync: Bool) {
        self.bytes = bytes
        self.frameCount = frameCount
        self.sampleCount = sampleCount
        self.isSync = isSync
    }

    /// Makes a chunk of the given frames, in order.
    ///
    /// - Parameters:
    ///   - frames: At least one frame.
    public init(frames: [MP3Frame]) {
        precondition(!frames.isEmpty, "an MP3 chunk needs at least one frame")
        self.init(
            bytes: frames.flatMap(\.bytes),
            frameCount: frames.count,
            sampleCount: frames.reduce(0) { $0 + $1.sampleCount },
            isSync: frames[0].isSync
        )
    }
}
