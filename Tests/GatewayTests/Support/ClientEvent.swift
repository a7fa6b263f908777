import WavecastCore

/// A gateway's JSON text message, parsed: `start`, `chunk` or `end`.
struct ClientEvent: Sendable {
    /// `start`, `chunk` or `end`.
    var event: String
    /// The whole message.
    var object: JSONObject
    /// The raw text.
    var text: String
    /// When the listener's thread read it.
    var arrival: MonotonicTime

    /// Parses `json`; `nil` if it is not a JSON object with an `event` string.
    init?(json: [UInt8], arrival: MonotonicTime) {
        guard case .object(let object) = try? JSONValue.parse(json), case .string(let event) = object["event"] else {
            return nil
        }
        self.event = event
        self.object = object
        self.text = String(decoding: json, as: UTF8.self)
        self.arrival = arrival
    }

    /// The chunk's `media` object.
    var media: JSONObject? {
        if case .object(let media) = self.object["media"] { return media }
        return nil
    }

    /// The chunk's MP3 bytes (decoded from base64).
    var payload: [UInt8]? {
        guard case .string(let text) = self.media?["payload"] else { return nil }
        return Base64.decode(text)
    }

    /// The chunk's `is_sync`.
    var isSync: Bool? {
        if case .bool(let value) = self.media?["is_sync"] { return value }
        return nil
    }

    /// The chunk's `seq`.
    var sequence: UInt64? { self.media?["seq"]?.integerValue.map(UInt64.init) }

    /// The chunk's `timestamp` in milliseconds.
    var timestamp: Double? {
        if case .number(let value) = self.media?["timestamp"] { return value }
        return nil
    }

    /// The chunk's `duration` in milliseconds.
    var duration: Double? {
        if case .number(let value) = self.media?["duration"] { return value }
        return nil
    }

    /// A top-level string field (`stream`, `reason`).
    func string(_ key: String) -> String? {
        if case .string(let value) = self.object[key] { return value }
        return nil
    }
}
