public import WavecastCore

/// The encoder's one JSON reply to a request.
public struct IngestResponse: Sendable, CustomStringConvertible {
    /// The reply's JSON object.
    public var body: JSONObject

    /// Parses a reply frame.
    public init(bytes: [UInt8]) throws {
        guard case .object(let body) = try JSONValue.parse(bytes) else {
            throw HarnessError("the reply is not a JSON object: \(String(decoding: bytes, as: UTF8.self))")
        }
        self.body = body
    }

    /// `"ok": true`.
    public var isOK: Bool { self.body["ok"] == .bool(true) }
    /// The `error` code of a failure reply.
    public var error: String? { self.string("error") }
    /// The `message` of a failure reply.
    public var message: String { self.string("message") ?? "" }
    /// The `reason` of an `invalid_wav` reply.
    public var reason: String? { self.string("reason") }

    /// The member `key`.
    public subscript(key: String) -> JSONValue? { self.body[key] }

    /// The string member `key`.
    public func string(_ key: String) -> String? {
        guard case .string(let string)? = self.body[key] else { return nil }
        return string
    }

    /// The numeric member `key`.
    public func number(_ key: String) -> Double? {
        guard case .number(let number)? = self.body[key] else { return nil }
        return number
    }

    /// The integer member `key`.
    public func integer(_ key: String) -> Int? { self.body[key]?.integerValue }

    /// The object member `key`.
    public func object(_ key: String) -> JSONObject? {
        guard case .object(let object)? = self.body[key] else { return nil }
        return object
    }

    /// The array member `key`.
    public func array(_ key: String) -> [JSONValue]? {
        guard case .array(let array)? = self.body[key] else { return nil }
        return array
    }

    /// The reply as JSON text.
    public var description: String { JSONValue.object(self.body).serialized }
}
