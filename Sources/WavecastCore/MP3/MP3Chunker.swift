/// Groups whole MP3 frames into chunks of ``framesPerChunk`` frames.
///
/// ```swift
/// var chunker = MP3Chunker(framesPerChunk: 2)
/// for frame in frames {
///     if let chunk = chunker.append(frame) { publish(chunk) }
/// }
/// if let last = chunker.flush() { publish(last) }
/// ```
public struct MP3Chunker: Sendable {
    /// The number of frames in each chunk but the last.
    public let framesPerChunk: Int
    private var pending: [MP3Frame] = []

    /// Makes a chunker.
    ///
    /// - Parameters:
    ///   - framesPerChunk: The number of frames per chunk, at least 1. At 8 kHz one frame is 72 ms.
    public init(framesPerChunk: Int = 1) {
        precondition(framesPerChunk >= 1, "framesPerChunk must be at least 1, not \(framesPerChunk)")
        self.framesPerChunk = framesPerChunk
        self.pending.reserveCapacity(framesPerChunk)
    }

    /// The number of frames held for the next chunk.
    public var pendingFrameCount: Int {
        self.pending.count
    }

    /// Adds a frame, returning a chunk when it completes one.
    ///
    /// - Parameters:
    ///   - frame: The next frame of the stream.
    /// - Returns: A chunk of ``framesPerChunk`` frames, or `nil` if the frame was held for the next chunk.
    public mutating func append(_ frame: MP3Frame) -> MP3Chunk? {
        self.pending.append(frame)
        guard self.pending.count >= self.framesPerChunk else {
            return nil
        }
        return self.flush()
    }

    /// Returns the frames held so far as a (short) chunk, for the end of a stream.
    ///
    /// - Returns: A chunk of the held frames, or `nil` if none are held.
    public mutating func flush() -> MP3Chunk? {
        guard !self.pending.isEmpty else {
            return nil
        }
        let chunk = MP3Chunk(frames: self.pending)
        self.pending.removeAll(keepingCapacity: true)
        return chunk
    }
}
