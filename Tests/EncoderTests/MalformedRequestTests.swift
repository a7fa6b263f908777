import Encoder
import Testing
import WavecastCore
import WavecastTestSupport

/// Every malformed request gets an `{"ok":false}` reply naming the problem, and the encoder goes on serving.
struct MalformedRequestTests {
    /// One malformed request, what the encoder must answer, and any requests that set the scene first.
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var configure: @Sendable (inout EncoderConfiguration) -> Void = { _ in }
        /// Requests sent first, each of which must succeed.
        var setup: [[[UInt8]]] = []
        /// The malformed request's frames.
        var frames: [[UInt8]]
        /// The expected `error` code.
        var code: String
        /// Words the `message` must contain, so a person can tell what is wrong.
        var mentions: [String]
        /// The expected `reason`, for `invalid_wav`.
        var reason: String?

        var testDescription: String { self.name }
    }

    static func text(_ string: String) -> [UInt8] { Array(string.utf8) }

    static let wav = TestAudio.wav(seconds: 0.1)
    static let openStereo = [Self.text(#"{"op":"open","stream":"s","sample_rate":8000,"channels":2}"#)]
    static let openMono = [Self.text(#"{"op":"open","stream":"s","sample_rate":8000,"channels":1}"#)]
    static let mp3Frame: [UInt8] = [0xFF, 0xE3, 0x18, 0xC4] + [UInt8](repeating: 0, count: 68)

    static let cases: [Case] = [
        Case(name: "not JSON", frames: [text("hello")], code: "invalid_json", mentions: ["JSON"]),
        Case(name: "JSON, not an object", frames: [text("[1,2]")], code: "invalid_request", mentions: ["JSON object"]),
        Case(name: "missing op", frames: [text(#"{"stream":"s"}"#)], code: "missing_field", mentions: ["'op'"]),
        Case(
            name: "unknown op",
            frames: [text(#"{"op":"dance","stream":"s"}"#)],
            code: "unknown_op",
            mentions: ["'dance'", "play, open, pcm, close, stop, clear, mark, marks, status"]
        ),
        Case(
            name: "mark without a name",
            frames: [text(#"{"op":"mark","stream":"s"}"#)],
            code: "missing_field",
            mentions: ["'name'"]
        ),
        Case(
            name: "mark with a name of 257 bytes",
            frames: [text(#"{"op":"mark","stream":"s","name":"\#(String(repeating: "m", count: 257))"}"#)],
            code: "invalid_field",
            mentions: ["257 bytes", "1 to 256"]
        ),
        Case(
            name: "mark for a stream that is not playing",
            frames: [text(#"{"op":"mark","stream":"s","name":"m"}"#)],
            code: "unknown_stream",
            mentions: ["'s'", "not playing"]
        ),
        Case(
            name: "op not a string",
            frames: [text(#"{"op":5}"#)],
            code: "invalid_field",
            mentions: ["'op'", "string"]
        ),
        Case(
            name: "missing stream",
            frames: [text(#"{"op":"play"}"#), Self.wav],
            code: "missing_field",
            mentions: ["'stream'"]
        ),
        Case(
            name: "stream not a string",
            frames: [text(#"{"op":"stop","stream":7}"#)],
            code: "invalid_field",
            mentions: ["'stream'", "string"]
        ),
        Case(
            name: "empty stream id",
            frames: [text(#"{"op":"stop","stream":""}"#)],
            code: "invalid_stream_id",
            mentions: ["empty"]
        ),
        Case(
            name: "65-character stream id",
            frames: [text(#"{"op":"stop","stream":"\#(String(repeating: "x", count: 65))"}"#)],
            code: "invalid_stream_id",
            mentions: ["65 characters", "64"]
        ),
        Case(
            name: "stream id with a bad character",
            frames: [text(#"{"op":"stop","stream":"a/b"}"#)],
            code: "invalid_stream_id",
            mentions: ["invalid character \"/\"", "position 1"]
        ),
        Case(
            name: "play without payload",
            frames: [text(#"{"op":"play","stream":"s"}"#)],
            code: "missing_payload",
            mentions: ["'play'", "WAV"]
        ),
        Case(
            name: "play with an empty payload",
            frames: [text(#"{"op":"play","stream":"s"}"#), []],
            code: "missing_payload",
            mentions: ["WAV"]
        ),
        Case(
            name: "play with a non-WAV payload",
            frames: [text(#"{"op":"play","stream":"s"}"#), text("hello, world")],
            code: "invalid_wav",
            mentions: ["RIFF"],
            reason: "not_riff"
        ),
        Case(
            name: "play with an MP3 payload",
            frames: [text(#"{"op":"play","stream":"s"}"#), Self.mp3Frame],
            code: "invalid_wav",
            mentions: ["MP3"],
            reason: "mp3_not_wav"
        ),
        Case(
            name: "play with a WAV holding no audio",
            frames: [text(#"{"op":"play","stream":"s"}"#), TestAudio.wav(seconds: 0)],
            code: "empty_audio",
            mentions: ["no audio"]
        ),
        Case(
            name: "play with loop not a boolean",
            frames: [text(#"{"op":"play","stream":"s","loop":"yes"}"#), Self.wav],
            code: "invalid_field",
            mentions: ["'loop'"]
        ),
        Case(
            name: "payload over maxMessageBytes",
            configure: { $0.maxMessageBytes = 4096 },
            frames: [text(#"{"op":"play","stream":"s"}"#), TestAudio.wav(seconds: 0.5)],
            code: "payload_too_large",
            mentions: ["4096", "--max-message-bytes"]
        ),
        Case(
            name: "open without sample_rate",
            frames: [text(#"{"op":"open","stream":"s","channels":1}"#)],
            code: "missing_field",
            mentions: ["'sample_rate'"]
        ),
        Case(
            name: "open with sample_rate 0",
            frames: [text(#"{"op":"open","stream":"s","sample_rate":0,"channels":1}"#)],
            code: "invalid_field",
            mentions: ["'sample_rate'", "8000", "192000"]
        ),
        Case(
            name: "open with a huge sample_rate",
            frames: [text(#"{"op":"open","stream":"s","sample_rate":10000000,"channels":1}"#)],
            code: "invalid_field",
            mentions: ["'sample_rate'", "10000000"]
        ),
        Case(
            name: "open with a fractional sample_rate",
            frames: [text(#"{"op":"open","stream":"s","sample_rate":8000.5,"channels":1}"#)],
            code: "invalid_field",
            mentions: ["'sample_rate'", "whole number"]
        ),
        Case(
            name: "open without channels",
            frames: [text(#"{"op":"open","stream":"s","sample_rate":8000}"#)],
            code: "missing_field",
            mentions: ["'channels'"]
        ),
        Case(
            name: "open with 0 channels",
            frames: [text(#"{"op":"open","stream":"s","sample_rate":8000,"channels":0}"#)],
            code: "invalid_field",
            mentions: ["'channels'"]
        ),
        Case(
            name: "open with 9 channels",
            frames: [text(#"{"op":"open","stream":"s","sample_rate":8000,"channels":9}"#)],
            code: "invalid_field",
            mentions: ["'channels'", "9"]
        ),
        Case(
            name: "open with channels a string",
            frames: [text(#"{"op":"open","stream":"s","sample_rate":8000,"channels":"two"}"#)],
            code: "invalid_field",
            mentions: ["'channels'"]
        ),
        Case(
            name: "open with encoding f32le",
            frames: [text(#"{"op":"open","stream":"s","sample_rate":8000,"channels":1,"encoding":"f32le"}"#)],
            code: "unsupported_encoding",
            mentions: ["'f32le'", "s16le"]
        ),
        Case(
            name: "open twice",
            setup: [Self.openMono],
            frames: Self.openMono,
            code: "stream_already_open",
            mentions: ["'s'", "already open"]
        ),
        Case(
            name: "pcm on a stream not open",
            frames: [text(#"{"op":"pcm","stream":"s"}"#), [0, 0]],
            code: "stream_not_open",
            mentions: ["'s'", "not open", "'open'"]
        ),
        Case(
            name: "pcm with an odd byte count for 2 channels",
            setup: [Self.openStereo],
            frames: [text(#"{"op":"pcm","stream":"s"}"#), [0, 0, 0, 0, 0, 0]],
            code: "invalid_pcm",
            mentions: ["6 bytes", "2 channels", "4 bytes"]
        ),
        Case(
            name: "pcm without payload",
            setup: [Self.openMono],
            frames: [text(#"{"op":"pcm","stream":"s"}"#)],
            code: "missing_payload",
            mentions: ["'pcm'", "PCM"]
        ),
        Case(
            name: "close of a stream not open",
            frames: [text(#"{"op":"close","stream":"s"}"#)],
            code: "stream_not_open",
            mentions: ["'s'", "not open"]
        ),
        Case(
            name: "open past maxStreams",
            configure: { $0.maxStreams = 1 },
            setup: [[text(#"{"op":"open","stream":"one","sample_rate":8000,"channels":1}"#)]],
            frames: [text(#"{"op":"open","stream":"two","sample_rate":8000,"channels":1}"#)],
            code: "too_many_streams",
            mentions: ["1 streams", "--max-streams"]
        ),
        Case(
            name: "play past maxStreams",
            configure: { $0.maxStreams = 1 },
            setup: [[text(#"{"op":"open","stream":"one","sample_rate":8000,"channels":1}"#)]],
            frames: [text(#"{"op":"play","stream":"two"}"#), Self.wav],
            code: "too_many_streams",
            mentions: ["--max-streams"]
        ),
        Case(
            name: "status with a payload frame",
            frames: [text(#"{"op":"status"}"#), [1]],
            code: "unexpected_payload",
            mentions: ["'status'", "1 frame", "2"]
        ),
        Case(
            name: "play with an extra frame",
            frames: [text(#"{"op":"play","stream":"s"}"#), Self.wav, [1, 2, 3]],
            code: "unexpected_payload",
            mentions: ["'play'", "2 frames", "3"]
        ),
    ]

    @Test("a malformed request gets its error reply and the encoder goes on serving", arguments: Self.cases)
    func malformedRequest(_ testCase: Case) async throws {
        try await EncoderHarness.with(testCase.configure) { encoder in
            for setup in testCase.setup {
                let reply = try await encoder.dealer.request(frames: setup)
                #expect(reply.isOK, "setup request: \(reply)")
            }
            let reply = try await encoder.dealer.request(frames: testCase.frames)
            #expect(!reply.isOK)
            #expect(reply.error == testCase.code, "\(reply)")
            for word in testCase.mentions {
                #expect(reply.message.contains(word), "the message names the problem ('\(word)'): \(reply.message)")
            }
            #expect(reply.reason == testCase.reason, "\(reply)")
            let status = try await encoder.status()
            #expect(status.isOK, "status after the malformed request: \(status)")
        }
    }

    @Test("one encoder answers every malformed request in a row, then still plays")
    func malformedRequestsInARow() async throws {
        let plain = Self.cases.filter { $0.setup.isEmpty && !$0.name.contains("max") }
        try await EncoderHarness.with { encoder in
            for testCase in plain {
                let reply = try await encoder.dealer.request(frames: testCase.frames)
                #expect(reply.error == testCase.code, "\(testCase.name): \(reply)")
                let status = try await encoder.status()
                #expect(status.isOK, "status after \(testCase.name): \(status)")
            }
            let played = try await encoder.play("after", TestAudio.wav(seconds: 0.2))
            #expect(played.isOK, "play after the malformed requests: \(played)")
            let recorded = try await encoder.bus.waitForRecording(of: "after", timeout: .seconds(5))
            expectWellFormed(recorded, stopped: false)
        }
    }
}
