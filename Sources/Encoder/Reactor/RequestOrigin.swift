import WavecastCore

/// Where a request came from: the ROUTER routing frames to reply through, and the request's `id`.
struct RequestOrigin: Sendable {
    /// The peer's routing id, plus the empty delimiter frame when the peer is a REQ socket.
    var routingFrames: [[UInt8]]
    /// The request's operation, echoed in the reply.
    var operation: IngestOperation
    /// The stream the request named, echoed in the reply.
    var stream: StreamID?
    /// The request's `id` field, echoed in the reply.
    var requestID: JSONValue?
    /// Whether a success is answered (a `pcm` of a stream opened with `"replies": "errors"` is not).
    var answersSuccess = true
}

/// An ingest operation without its arguments: what the encoder counts, and what a reply names in `op`.
enum IngestOperation: String, Sendable, Hashable, CaseIterable {
    case play, open, pcm, close, stop, status

    /// The kind of `operation`.
    init(_ operation: IngestRequest.Operation) {
        switch operation {
        case .play: self = .play
        case .open: self = .open
        case .pcm: self = .pcm
        case .close: self = .close
        case .stop: self = .stop
        case .status: self = .status
        }
    }
}
