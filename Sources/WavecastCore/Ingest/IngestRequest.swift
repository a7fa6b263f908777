/// Which `pcm` requests of a live stream the encoder answers (the `open` field `replies`).
///
/// At telephony cadence (a 20 ms piece per call, thousands of calls) a success reply per piece is
/// most of the traffic back to a feeder that does not read it; errors are always answered.
public enum PCMReplies: String, Sendable, Hashable {
    /// Every `pcm` request (the default).
    case all
    /// Only the `pcm` requests that fail.
    case errors
}

/// One request a feeder sends to the encoder's ingest socket, decoded and checked.
///
/// On the wire a request is `[JSON header][optional payload]`; docs/PROTOCOL.md lists every field.
public struct IngestRequest: Sendable, Hashable {
    /// What the request asks for.
    public enum Operation: Sendable, Hashable {
        /// Play a whole WAV file (the payload), after what the stream already plays.
        case play(wav: [UInt8], loop: Bool)
        /// Open a live PCM stream: `pcm` requests then carry s16le samples at this rate and channel count, and are
        /// answered as `replies` says.
        case open(sampleRate: Int, channels: Int, replies: PCMReplies = .all)
        /// Raw s16le PCM for a stream opened with `open`.
        case pcm([UInt8])
        /// No more PCM: the stream ends once what is queued has played.
        case close
        /// End the stream now, dropping what it has queued.
        case stop
        /// Barge-in: drop what the stream has queued and not yet published, everywhere, but keep the stream:
        /// a live stream stays open and the next `pcm` or `play` continues it.
        case clear
        /// Place a playback mark named `name` after the audio accepted so far: published in order with the stream's
        /// chunks, sent to listeners when the audio before it has been sent, echoed by them when they played it.
        case mark(name: String)
        /// Report the stream's recent marks: which were played (and by how many listeners, where, when), which
        /// are still on their way, which a `clear` cut.
        case marks
        /// Report the streams (all of them, or the one named).
        case status
    }

    /// The operation and its arguments.
    public var operation: Operation
    /// The stream the request is for; `nil` only for `status` of every stream.
    public var stream: StreamID?
    /// The caller's `id` field, echoed in the reply so a pipelining DEALER can match replies.
    public var requestID: JSONValue?
    /// The renditions a `play` or `open` asks for (its `renditions` field, MP3 always first among them); `nil` when
    /// the request does not say, and the encoder's default (`--renditions`) applies.
    public var renditions: [BusRendition]?

    /// Creates a request.
    public init(
        operation: Operation,
        stream: StreamID?,
        requestID: JSONValue? = nil,
        renditions: [BusRendition]? = nil
    ) {
        self.operation = operation
        self.stream = stream
        self.requestID = requestID
        self.renditions = renditions
    }

    /// The operation's wire name (`"play"`, `"pcm"`, …).
    public var operationName: String { self.operation.name }
}

extension IngestRequest.Operation {
    /// The operation's wire name.
    public var name: String {
        switch self {
        case .play: "play"
        case .open: "open"
        case .pcm: "pcm"
        case .close: "close"
        case .stop: "stop"
        case .clear: "clear"
        case .mark: "mark"
        case .marks: "marks"
        case .status: "status"
        }
    }
}
