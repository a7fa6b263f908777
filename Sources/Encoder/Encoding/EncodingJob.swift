import WavecastCore

/// Work the reactor hands to an encoding thread; results come back as ``EncodingResult``.
struct EncodingJob: Sendable {
    enum Work: Sendable {
        /// Decode a WAV file and encode all of it.
        case play(wav: [UInt8], loop: Bool)
        /// Create the live encoder for a stream.
        case open(sampleRate: Int, channels: Int)
        /// Encode live s16le PCM.
        case pcm([UInt8])
        /// Flush the live encoder and forget it.
        case close
        /// Forget the live encoder without flushing (after `stop`); no result is sent.
        case discard
        /// A playback mark: it comes back in order with the stream's other work, so it lands after the audio
        /// accepted before it.
        case mark(name: String)
    }

    /// Who asked, so the reply can be routed back; `nil` for work that needs no reply.
    var origin: RequestOrigin?
    /// The stream the work is for.
    var stream: StreamID
    /// The stream's generation when the work was accepted; a `stop` since then makes the result stale.
    var generation: UInt64
    /// What to do.
    var work: Work
    /// Make the µ-law rendition too (for `play` and `open`; a live stream keeps what its `open` chose).
    var muLaw = false
    /// Whether a `pcm` that completes no chunk still comes back as a result. Only a reply needs it: the machine
    /// clears this for a stream opened with `"replies": "errors"`, so at telephony cadence the two pieces in three
    /// that complete no frame cost the reactor nothing (a failure always comes back).
    var reportsNothingEncoded = true
}

/// What an encoding thread made of an ``EncodingJob``.
struct EncodingResult: Sendable {
    enum Outcome: Sendable {
        /// A whole file, encoded.
        case played(PlayedFile)
        /// The live encoder exists.
        case opened
        /// Chunks from live PCM (maybe none yet: LAME holds back a frame or so).
        case encoded([MP3Chunk], frames: Int)
        /// The live encoder was flushed; these are its last chunks.
        case closed([MP3Chunk], frames: Int)
        /// A mark's turn came: everything accepted before it has been enqueued, but for `chunks`, the live
        /// encoder's flushed tail, which goes right before it.
        case marked(name: String, chunks: [MP3Chunk] = [])
        /// The work failed; the reply says why.
        case failed(IngestError)
    }

    /// A decoded and encoded WAV file.
    struct PlayedFile: Sendable {
        var chunks: [MP3Chunk]
        var loop: Bool
        var frames: Int
        var inputFormat: WAVFormat
        var inputDuration: Duration
        var warnings: [WAVWarning]
    }

    var origin: RequestOrigin?
    var stream: StreamID
    var generation: UInt64
    var outcome: Outcome
}
