/// Why the encoder refused a request: the `error` code and `message` of an `{"ok":false}` reply.
public struct IngestError: Error, Hashable, Sendable {
    /// The stable machine-readable code, e.g. `"missing_field"`.
    public var code: String
    /// What is wrong, for a person to act on.
    public var message: String
    /// A finer code where one exists (the WAV reader's, for `invalid_wav`).
    public var reason: String?

    /// Creates an error with a code and a message.
    public init(code: String, message: String, reason: String? = nil) {
        self.code = code
        self.message = message
        self.reason = reason
    }

    /// The request was not valid JSON.
    public static func invalidJSON(_ detail: String) -> Self {
        Self(code: "invalid_json", message: "the request header is \(detail)")
    }
    /// The request had no frames, or its header was not a JSON object.
    public static func invalidRequest(_ detail: String) -> Self {
        Self(code: "invalid_request", message: detail)
    }
    /// A required field is absent.
    public static func missingField(_ field: String, op: String) -> Self {
        Self(code: "missing_field", message: "'\(op)' needs the field '\(field)'")
    }
    /// A field is present but has the wrong type or value.
    public static func invalidField(_ field: String, _ detail: String) -> Self {
        Self(code: "invalid_field", message: "field '\(field)' \(detail)")
    }
    /// `op` names no operation.
    public static func unknownOperation(_ op: String) -> Self {
        Self(
            code: "unknown_op",
            message: "unknown op '\(op)'; expected one of play, open, pcm, close, stop, clear, mark, marks, status"
        )
    }
    /// The stream id breaks the naming rule.
    public static func invalidStreamID(_ error: StreamIDError) -> Self {
        Self(code: "invalid_stream_id", message: "\(error)")
    }
    /// The message is bigger than the encoder accepts.
    public static func payloadTooLarge(size: Int, limit: Int) -> Self {
        Self(
            code: "payload_too_large",
            message: "the message is \(size) bytes, over the limit of \(limit) bytes (--max-message-bytes); "
                + "send long audio as open/pcm/close in smaller pieces"
        )
    }
    /// The operation needs a payload frame and none came.
    public static func missingPayload(op: String, what: String) -> Self {
        Self(code: "missing_payload", message: "'\(op)' needs a second frame holding \(what)")
    }
    /// The operation takes no payload, or the message had too many frames.
    public static func unexpectedPayload(op: String, frames: Int) -> Self {
        let expected =
            op == "play" || op == "pcm"
            ? "[JSON header][payload] (2 frames)" : "just the JSON header (1 frame), no payload"
        return Self(code: "unexpected_payload", message: "'\(op)' takes \(expected); the message had \(frames) frames")
    }
}

extension IngestError: CustomStringConvertible {
    public var description: String { "\(self.code): \(self.message)" }
}
