/// The one JSON frame the encoder sends back for every request.
///
/// `{"ok":true,"op":…,"stream":…, …}` on success, `{"ok":false,"error":"<code>","message":"…"}` on failure.
public struct IngestReply: Sendable, Hashable {
    /// The reply's JSON object, in wire order.
    public var body: JSONObject

    /// Creates a reply around a JSON object.
    public init(body: JSONObject) {
        self.body = body
    }

    /// A success reply for `request`, with the operation's own fields appended.
    public static func success(for request: IngestRequest, _ fields: JSONObject = [:]) -> IngestReply {
        Self.success(operation: request.operationName, stream: request.stream, requestID: request.requestID, fields)
    }

    /// A success reply for an `operation` on `stream`, echoing `requestID`, with `fields` appended.
    public static func success(
        operation: String,
        stream: StreamID?,
        requestID: JSONValue?,
        _ fields: JSONObject = [:]
    ) -> IngestReply {
        var body: JSONObject = ["ok": true, "op": .string(operation)]
        if let stream {
            body["stream"] = .string(stream.description)
        }
        if let requestID {
            body["id"] = requestID
        }
        for member in fields.members {
            body[member.key] = member.value
        }
        return IngestReply(body: body)
    }

    /// A failure reply carrying `error`'s code and message, echoing the request's `id` when known.
    public static func failure(_ error: IngestError, requestID: JSONValue? = nil) -> IngestReply {
        var body: JSONObject = ["ok": false, "error": .string(error.code), "message": .string(error.message)]
        if let reason = error.reason {
            body["reason"] = .string(reason)
        }
        if let requestID {
            body["id"] = requestID
        }
        return IngestReply(body: body)
    }

    /// The reply as the bytes of its one frame.
    public var bytes: [UInt8] { JSONValue.object(self.body).serializedBytes }

    /// True for `{"ok":true}` replies.
    public var isSuccess: Bool { self.body["ok"] == .bool(true) }
}
