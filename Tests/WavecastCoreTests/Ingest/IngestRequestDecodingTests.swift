import Testing
import WavecastCore

/// Decoding of ingest requests: every accepted shape, and a specific error for every malformed one.
struct IngestRequestDecodingTests {
    private static let limit = 1 << 20

    private func decode(_ header: String, _ payload: [UInt8]? = nil) throws(IngestError) -> IngestRequest {
        var frames = [Array(header.utf8)]
        if let payload { frames.append(payload) }
        return try IngestRequest(frames: frames, maxMessageBytes: Self.limit)
    }

    private func expectError(
        _ code: String,
        mentioning detail: String,
        _ header: String,
        _ payload: [UInt8]? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        do {
            let request = try self.decode(header, payload)
            Issue.record("expected \(code), decoded \(request)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.code == code, sourceLocation: sourceLocation)
            #expect(error.message.contains(detail), "message: \(error.message)", sourceLocation: sourceLocation)
        }
    }

    @Test func decodesEveryOperation() throws {
        let wav: [UInt8] = [1, 2, 3]
        #expect(
            try self.decode(#"{"op":"play","stream":"demo"}"#, wav).operation == .play(wav: wav, loop: false)
        )
        #expect(
            try self.decode(#"{"op":"play","stream":"demo","loop":true}"#, wav).operation == .play(wav: wav, loop: true)
        )
        #expect(
            try self.decode(#"{"op":"open","stream":"a","sample_rate":16000,"channels":2,"encoding":"s16le"}"#)
                .operation
                == .open(sampleRate: 16000, channels: 2)
        )
        #expect(
            try self.decode(#"{"op":"open","stream":"a","sample_rate":8000.0,"channels":1}"#).operation
                == .open(sampleRate: 8000, channels: 1, replies: .all)
        )
        #expect(
            try self.decode(#"{"op":"open","stream":"a","sample_rate":8000,"channels":1,"replies":"errors"}"#)
                .operation == .open(sampleRate: 8000, channels: 1, replies: .errors)
        )
        #expect(
            try self.decode(#"{"op":"open","stream":"a","sample_rate":8000,"channels":1,"replies":"all"}"#)
                .operation == .open(sampleRate: 8000, channels: 1, replies: .all)
        )
        #expect(try self.decode(#"{"op":"pcm","stream":"a"}"#, [0, 0]).operation == .pcm([0, 0]))
        #expect(try self.decode(#"{"op":"close","stream":"a"}"#).operation == .close)
        #expect(try self.decode(#"{"op":"stop","stream":"a"}"#).operation == .stop)
        #expect(try self.decode(#"{"op":"clear","stream":"a"}"#).operation == .clear)
        #expect(try self.decode(#"{"op":"mark","stream":"a","name":"turn 1 ✓"}"#).operation == .mark(name: "turn 1 ✓"))
        #expect(try self.decode(#"{"op":"marks","stream":"a"}"#).operation == .marks)
        let status = try self.decode(#"{"op":"status"}"#)
        #expect(status.operation == .status && status.stream == nil)
        #expect(try self.decode(#"{"op":"status","stream":"x.y_z-1"}"#).stream?.description == "x.y_z-1")
    }

    @Test func keepsTheRequestID() throws {
        #expect(try self.decode(#"{"op":"status","id":"abc"}"#).requestID == .string("abc"))
        #expect(try self.decode(#"{"op":"status","id":7}"#).requestID == .number(7))
    }

    @Test func refusesAnEmptyMessage() {
        #expect(throws: IngestError.self) { try IngestRequest(frames: [], maxMessageBytes: 10) }
    }

    @Test func refusesInvalidJSON() { self.expectError("invalid_json", mentioning: "not valid JSON", "{op: play") }
    @Test func refusesJSONThatIsNotAnObject() {
        self.expectError("invalid_request", mentioning: "JSON object", #"["op","play"]"#)
    }
    @Test func refusesAMissingOp() { self.expectError("missing_field", mentioning: "'op'", #"{"stream":"a"}"#) }
    @Test func refusesANonStringOp() { self.expectError("invalid_field", mentioning: "'op'", #"{"op":3}"#) }
    @Test func refusesAnUnknownOp() { self.expectError("unknown_op", mentioning: "'dance'", #"{"op":"dance"}"#) }
    @Test func refusesAMissingStream() { self.expectError("missing_field", mentioning: "'stream'", #"{"op":"stop"}"#) }
    @Test func refusesANonStringStream() {
        self.expectError("invalid_field", mentioning: "'stream'", #"{"op":"stop","stream":5}"#)
    }
    @Test(arguments: ["", String(repeating: "a", count: 65), "a b", "ümlaut", "a/b"])
    func refusesAnInvalidStreamID(_ id: String) {
        self.expectError("invalid_stream_id", mentioning: "stream id", #"{"op":"stop","stream":"\#(id)"}"#)
    }
    @Test func refusesAMarkWithoutAName() {
        self.expectError("missing_field", mentioning: "'name'", #"{"op":"mark","stream":"a"}"#)
    }
    @Test(arguments: ["3", "null", #"["a"]"#])
    func refusesAMarkNameThatIsNotAString(name: String) {
        self.expectError("invalid_field", mentioning: "'name'", #"{"op":"mark","stream":"a","name":\#(name)}"#)
    }
    @Test(arguments: ["", String(repeating: "é", count: 129)])
    func refusesAMarkNameOfTheWrongLength(name: String) {
        self.expectError("invalid_field", mentioning: "1 to 256", #"{"op":"mark","stream":"a","name":"\#(name)"}"#)
    }
    @Test func refusesAMarkWithAPayloadOrWithoutAStream() {
        self.expectError("unexpected_payload", mentioning: "no payload", #"{"op":"mark","stream":"a","name":"m"}"#, [1])
        self.expectError("missing_field", mentioning: "'stream'", #"{"op":"marks"}"#)
    }

    @Test func refusesPlayWithoutPayload() {
        self.expectError("missing_payload", mentioning: "WAV", #"{"op":"play","stream":"a"}"#)
        self.expectError("missing_payload", mentioning: "WAV", #"{"op":"play","stream":"a"}"#, [])
    }
    @Test func refusesANonBooleanLoop() {
        self.expectError("invalid_field", mentioning: "'loop'", #"{"op":"play","stream":"a","loop":"yes"}"#, [1])
    }
    @Test(arguments: [#""none""#, "true", "1", #""ERRORS""#, "null"])
    func refusesAnUnknownRepliesPolicy(value: String) {
        self.expectError(
            "invalid_field",
            mentioning: #"'replies' must be "all" or "errors""#,
            #"{"op":"open","stream":"a","sample_rate":8000,"channels":1,"replies":"# + value + "}"
        )
    }

    @Test func refusesPCMWithoutPayload() {
        self.expectError("missing_payload", mentioning: "PCM", #"{"op":"pcm","stream":"a"}"#)
    }
    @Test func refusesAPayloadWhereNoneBelongs() {
        self.expectError("unexpected_payload", mentioning: "no payload", #"{"op":"stop","stream":"a"}"#, [1])
        self.expectError("unexpected_payload", mentioning: "had 2 frames", #"{"op":"status"}"#, [1])
    }
    @Test func refusesTooManyFrames() {
        let frames = [Array(#"{"op":"play","stream":"a"}"#.utf8), [1], [2]]
        #expect(throws: IngestError.unexpectedPayload(op: "play", frames: 3)) {
            try IngestRequest(frames: frames, maxMessageBytes: Self.limit)
        }
    }
    @Test func refusesAMessageOverTheLimit() {
        let frames = [Array(#"{"op":"play","stream":"a"}"#.utf8), [UInt8](repeating: 0, count: 2000)]
        do {
            _ = try IngestRequest(frames: frames, maxMessageBytes: 1000)
            Issue.record("accepted a message over the limit")
        } catch {
            #expect(error.code == "payload_too_large")
            #expect(error.message.contains("1000"))
        }
    }
    @Test func refusesOpenWithoutSampleRate() {
        self.expectError("missing_field", mentioning: "'sample_rate'", #"{"op":"open","stream":"a","channels":1}"#)
    }
    @Test(arguments: ["0", "7999", "192001", "8000.5", "\"8000\""])
    func refusesABadSampleRate(_ rate: String) {
        self.expectError(
            "invalid_field",
            mentioning: "'sample_rate'",
            #"{"op":"open","stream":"a","sample_rate":\#(rate),"channels":1}"#
        )
    }
    @Test(arguments: ["0", "9", "-1"])
    func refusesBadChannels(_ channels: String) {
        self.expectError(
            "invalid_field",
            mentioning: "'channels'",
            #"{"op":"open","stream":"a","sample_rate":8000,"channels":\#(channels)}"#
        )
    }
    @Test func refusesAnotherEncoding() {
        self.expectError(
            "unsupported_encoding",
            mentioning: "'f32le'",
            #"{"op":"open","stream":"a","sample_rate":8000,"channels":1,"encoding":"f32le"}"#
        )
    }

    @Test func repliesAreJSONWithOkFirst() throws {
        let request = try self.decode(#"{"op":"stop","stream":"a","id":1}"#)
        let success = IngestReply.success(for: request, ["stopped": true])
        #expect(
            String(decoding: success.bytes, as: UTF8.self)
                == #"{"ok":true,"op":"stop","stream":"a","id":1,"stopped":true}"#
        )
        let failure = IngestReply.failure(IngestError(code: "x", message: "a \"quoted\"\nline"), requestID: 2)
        #expect(
            String(decoding: failure.bytes, as: UTF8.self)
                == #"{"ok":false,"error":"x","message":"a \"quoted\"\nline","id":2}"#
        )
        #expect(success.isSuccess && !failure.isSuccess)
    }
}
