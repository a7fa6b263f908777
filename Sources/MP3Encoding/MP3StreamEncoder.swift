public import WavecastCore

/// Encodes one stream of mono PCM into whole MP3 frames, piece by piece.
///
/// LAME returns bytes in whatever pieces suit it (with the bit reservoir on, a return straddles
/// frame boundaries), so its output goes through an ``MP3FrameSplitter`` and only whole frames
/// come out. No Xing/Info tag and no ID3 tag are written: every frame is audio.
///
/// The LAME state inside is not thread safe: the encoder stays with the thread that created it.
public final class MP3StreamEncoder {
    /// The settings this encoder was made with.
    public let configuration: LAMEConfiguration
    private let lame: LAMEEncoder
    private var splitter = MP3FrameSplitter()
    private var finished = false

    /// Creates an encoder.
    ///
    /// - Throws: ``MP3EncoderError`` if LAME rejects the settings.
    public init(configuration: LAMEConfiguration) throws(MP3EncoderError) {
        self.configuration = configuration
        self.lame = try LAMEEncoder(configuration: configuration)
    }

    /// Encodes mono samples (full scale ±1) and returns the frames they complete, maybe none.
    public func encode(_ samples: [Float]) throws(MP3EncoderError) -> [MP3Frame] {
        try samples.withUnsafeBufferPointer { (buffer) throws(MP3EncoderError) in try self.encode(buffer) }
    }

    /// Encodes mono samples (full scale ±1) and returns the frames they complete, maybe none.
    public func encode(_ samples: UnsafeBufferPointer<Float>) throws(MP3EncoderError) -> [MP3Frame] {
        precondition(!self.finished, "encode after finish")
        var frames: [MP3Frame] = []
        try self.lame.encode(samples) { (bytes) throws(MP3EncoderError) in
            try self.split(bytes, into: &frames)
        }
        return frames
    }

    /// Flushes LAME (the last frame is padded with silence) and returns the remaining frames.
    public func finish() throws(MP3EncoderError) -> [MP3Frame] {
        precondition(!self.finished, "finish called twice")
        self.finished = true
        var frames: [MP3Frame] = []
        try self.lame.flush { (bytes) throws(MP3EncoderError) in
            try self.split(bytes, into: &frames)
        }
        do {
            try self.splitter.finish()
        } catch {
            throw .invalidOutput("\(error)")
        }
        return frames
    }

    /// Samples of silence LAME adds before the first input sample.
    public var encoderDelay: Int { self.lame.encoderDelay }

    private func split(_ bytes: UnsafeRawBufferPointer, into frames: inout [MP3Frame]) throws(MP3EncoderError) {
        do {
            frames += try self.splitter.append(bytes)
        } catch {
            throw .invalidOutput("\(error)")
        }
    }
}

@available(*, unavailable)
extension MP3StreamEncoder: Sendable {}
