import MP3Encoding
import WavecastCore

/// LAME plus the chunker: mono PCM in, whole-frame chunks out, for one stream or one file.
///
/// Not `Sendable`: it lives on the encoding thread that created it.
final class ChunkEncoder {
    private let encoder: MP3StreamEncoder
    private var chunker: MP3Chunker
    /// Frames produced so far.
    private(set) var frameCount = 0

    init(configuration: LAMEConfiguration, framesPerChunk: Int) throws(MP3EncoderError) {
        self.encoder = try MP3StreamEncoder(configuration: configuration)
        self.chunker = MP3Chunker(framesPerChunk: framesPerChunk)
    }

    /// Encodes `samples` and returns the chunks completed so far.
    func encode(_ samples: [Float]) throws(MP3EncoderError) -> [MP3Chunk] {
        self.chunk(try self.encoder.encode(samples), flush: false)
    }

    /// Flushes LAME and the chunker: the last chunk may hold fewer frames.
    func finish() throws(MP3EncoderError) -> [MP3Chunk] {
        self.chunk(try self.encoder.finish(), flush: true)
    }

    private func chunk(_ frames: [MP3Frame], flush: Bool) -> [MP3Chunk] {
        self.frameCount += frames.count
        var chunks: [MP3Chunk] = []
        for frame in frames {
            if let chunk = self.chunker.append(frame) {
                chunks.append(chunk)
            }
        }
        if flush, let chunk = self.chunker.flush() {
            chunks.append(chunk)
        }
        return chunks
    }
}

@available(*, unavailable)
extension ChunkEncoder: Sendable {}
