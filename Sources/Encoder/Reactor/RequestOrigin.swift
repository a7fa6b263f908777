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
