/// The JSON text messages a gateway sends to WebSocket clients (docs/PROTOCOL.md §3).
///
/// Each is built once per bus event and sent to every listener, so it is written by hand into
/// bytes: no JSON encoder, no Foundation formatting.
public enum ClientMessage {
    /// `{"event":"chunk","media":{"payload":"<base64>","is_sync":…,"seq":…,"timestamp":…,"duration":…,"epoch":…}}`,
    /// with `timestamp` and `duration` in milliseconds; `epoch` (the stream's incarnation, what `?resume=` names)
    /// only when the encoder gave one (not 0).
    public static func chunk(
        payload: [UInt8],
        isSync: Bool,
        sequence: UInt64,
        timestampMicroseconds: UInt64,
        durationMicroseconds: UInt64,
        epoch: UInt32 = 0
    ) -> [UInt8] {
        var json: [UInt8] = []
        json.reserveCapacity(Base64.encodedLength(of: payload.count) + 128)
        json += #"{"event":"chunk","media":{"payload":""#.utf8
        Base64.encode(payload, into: &json)
        json += #"","is_sync":"#.utf8
        json += (isSync ? "true" : "false").utf8
        json += #","seq":"#.utf8
        json += String(sequence).utf8
        json += #","timestamp":"#.utf8
        Self.appendMilliseconds(timestampMicroseconds, to: &json)
        json += #","duration":"#.utf8
        Self.appendMilliseconds(durationMicroseconds, to: &json)
        if epoch != 0 {
            json += #","epoch":"#.utf8
            json += String(epoch).utf8
        }
        json += "}}".utf8
        return json
    }

    /// The prototype's exact shape, for `?compat=seed`: `{"event":"chunk","media":{"payload":"…","is_sync":true}}`.
    public static func seedChunk(payload: [UInt8], isSync: Bool) -> [UInt8] {
        var json: [UInt8] = []
        json.reserveCapacity(Base64.encodedLength(of: payload.count) + 64)
        json += #"{"event":"chunk","media":{"payload":""#.utf8
        Base64.encode(payload, into: &json)
        json += #"","is_sync":"#.utf8
        json += (isSync ? "true" : "false").utf8
        json += "}}".utf8
        return json
    }

    /// `{"event":"start","stream":…,"format":{"codec":"mp3","sample_rate":…,"channels":…,"bitrate":…},"epoch":…}`;
    /// `epoch` only when the encoder gave one (not 0).
    public static func start(
        stream: StreamID,
        sampleRate: Int,
        channels: Int,
        bitrate: Int,
        epoch: UInt32 = 0
    )
        -> [UInt8]
    {
        let text =
            #"{"event":"start","stream":"\#(stream.rawValue)","format":{"codec":"mp3","sample_rate":\#(sampleRate),"#
            + #""channels":\#(channels),"bitrate":\#(bitrate)}\#(epoch != 0 ? ",\"epoch\":\(epoch)" : "")}"#
        return Array(text.utf8)
    }

    /// `{"event":"resumed","stream":…,"recovered":…,"missing":…}`, and `"reason"` when not recovered: what a
    /// client reconnecting with `?resume=EPOCH:SEQ` is told before the chunks after SEQ (or a fresh burst).
    public static func resumed(stream: StreamID, recovered: Bool, missing: UInt64, reason: String?) -> [UInt8] {
        var text =
            #"{"event":"resumed","stream":"\#(stream.rawValue)","recovered":\#(recovered),"missing":\#(missing)"#
        if let reason {
            text += #","reason":"\#(reason)""#
        }
        text += "}"
        return Array(text.utf8)
    }

    /// `{"event":"clear","stream":…}`: barge-in, drop the stream's audio not yet played.
    public static func clear(stream: StreamID) -> [UInt8] {
        Array(#"{"event":"clear","stream":"\#(stream.rawValue)"}"#.utf8)
    }

    /// `{"event":"mark","stream":…,"name":…}`: the audio before the mark has been sent; echo it once played.
    public static func mark(stream: StreamID, name: String) -> [UInt8] {
        var json = Array(#"{"event":"mark","stream":"\#(stream.rawValue)","name":"#.utf8)
        JSONValue.string(name).write(into: &json)
        json.append(UInt8(ascii: "}"))
        return json
    }

    /// `{"event":"end","stream":…,"reason":"finished"|"stopped"}`.
    public static func end(stream: StreamID, stopped: Bool) -> [UInt8] {
        Array(#"{"event":"end","stream":"\#(stream.rawValue)","reason":"\#(stopped ? "stopped" : "finished")"}"#.utf8)
    }

    /// Writes microseconds as milliseconds: `72` or `26.122` (at most three decimals, no trailing zeros).
    static func appendMilliseconds(_ microseconds: UInt64, to json: inout [UInt8]) {
        json += String(microseconds / 1000).utf8
        var fraction = microseconds % 1000
        guard fraction != 0 else { return }
        var digits = 3
        while fraction % 10 == 0 {
            fraction /= 10
            digits -= 1
        }
        json.append(UInt8(ascii: "."))
        let text = String(fraction)
        json += repeatElement(UInt8(ascii: "0"), count: digits - text.utf8.count)
        json += text.utf8
    }
}
