import Testing

@testable import WavecastCore

struct StreamIDTests {
    @Test(arguments: ["demo", "a", "Z", "0", "room-1.a_b", "...", "A-Z_a-z.0-9", String(repeating: "x", count: 64)])
    func accepts(string: String) throws {
        let id = try StreamID(string)
        #expect(id.rawValue == string)
        #expect(id.description == string)
        #expect("\(id)" == string)
    }

    @Test(arguments: [
        ("", StreamIDError.empty),
        (String(repeating: "x", count: 65), .tooLong(65)),
        (String(repeating: "é", count: 100), .tooLong(100)),
        ("de mo", .invalidCharacter(" ", position: 2)),
        ("café", .invalidCharacter("é", position: 3)),
        ("a/b", .invalidCharacter("/", position: 1)),
        ("/ws", .invalidCharacter("/", position: 0)),
        ("demo\n", .invalidCharacter("\n", position: 4)),
        ("🎵x", .invalidCharacter("🎵", position: 0)),
        ("a\u{0}", .invalidCharacter("\u{0}", position: 1)),
        ("a+b", .invalidCharacter("+", position: 1)),
    ])
    func rejects(string: String, error: StreamIDError) {
        #expect(throws: error) {
            try StreamID(string)
        }
    }

    @Test func errorsSayWhatIsWrong() {
        #expect(StreamIDError.empty.code == "stream_id.empty")
        #expect(StreamIDError.empty.description.contains("1–64 characters"))
        #expect(StreamIDError.tooLong(65).code == "stream_id.too_long")
        #expect(StreamIDError.tooLong(65).description == "stream id is 65 characters long; the limit is 64")
        let invalid = StreamIDError.invalidCharacter(" ", position: 2)
        #expect(invalid.code == "stream_id.invalid_character")
        #expect(
            invalid.description
                == "stream id has the invalid character \" \" (U+20) at position 2 (0-based); "
                + "use only A-Z a-z 0-9 . _ -"
        )
    }

    @Test func ordersByText() throws {
        #expect(try StreamID("a") < StreamID("b"))
        #expect(try StreamID("demo") == StreamID("demo"))
    }
}
