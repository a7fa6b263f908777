import Foundation
import Testing

@testable import WavecastCore

/// The ingest path's JSON parser: every value JSON has, and a clear error for every way a document breaks.
struct JSONParserTests {
    static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try JSONValue.parse(Array(text.utf8))
    }

    @Test func readsEveryKindOfValue() throws {
        let value = try Self.parse(
            #" { "op" : "pcm", "n": -12.5e2, "z": 0, "t": true, "f": false, "x": null, "a": [1, [], {}], "o": {"k": "v"} } "#
        )
        guard case .object(let object) = value else {
            Issue.record("not an object: \(value)")
            return
        }
        #expect(object.keys == ["op", "n", "z", "t", "f", "x", "a", "o"], "keys keep their order")
        #expect(object["op"] == .string("pcm"))
        #expect(object["n"] == .number(-1250))
        #expect(object["z"] == .number(0))
        #expect(object["t"] == .bool(true) && object["f"] == .bool(false) && object["x"] == .null)
        #expect(object["a"] == .array([.number(1), .array([]), .object(JSONObject())]))
        #expect(object["o"] == .object(["k": "v"]))
        #expect(try Self.parse("3") == .number(3))
        #expect(try Self.parse(#""""#) == .string(""))
    }

    @Test func decodesEveryEscape() throws {
        #expect(
            try Self.parse(#""a\"b\\c\/d\b\f\n\r\t\u00e9\u20AC\ud83c\udfb5""#)
                == .string("a\"b\\c/d\u{8}\u{C}\n\r\té€🎵")
        )
        #expect(try Self.parse("\"ünïcödé 🎵\"") == .string("ünïcödé 🎵"), "raw UTF-8 passes through")
    }

    @Test func agreesWithFoundationOnNumbers() throws {
        for text in ["0", "-0", "1", "-1", "1.5", "1e3", "1E-3", "123456789012345", "-0.000001", "2.5e+10", "8000.0"] {
            let ours = try Self.parse(text)
            let theirs =
                try JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed) as? NSNumber
            #expect(ours == .number(theirs?.doubleValue ?? .nan), "\(text)")
        }
    }

    @Test(
        arguments: [
            ("", "ends where a value was expected"),
            ("   ", "ends where a value was expected"),
            ("{op: 1}", "where an object key (a string) was expected"),
            (#"{"a" 1}"#, "where ':' was expected"),
            (#"{"a": 1,}"#, "where an object key (a string) was expected"),
            (#"{"a": 1 "b": 2}"#, "where ',' or '}' was expected"),
            ("[1 2]", "where ',' or ']' was expected"),
            ("[1,]", "where a value was expected"),
            (#"{"a": 1} x"#, "after the document"),
            (#""abc"#, "is not closed"),
            ("\"a\tb\"", "control character"),
            (#""\x""#, "is not one JSON has"),
            (#""\u12""#, #"inside a \u escape"#),
            (#""\u12G4""#, #"in a \u escape; expected a hex digit"#),
            (#""\ud83c""#, "unpaired surrogate"),
            (#""\udfb5""#, "unpaired surrogate"),
            (#""\ud83c\u0041""#, "unpaired surrogate"),
            ("01", "after the document"),
            ("-", "a number needs a digit"),
            ("1.", "a digit after its '.'"),
            ("1e", "a digit in its exponent"),
            ("+1", "where a value was expected"),
            (".5", "where a value was expected"),
            ("NaN", "where a value was expected"),
            ("1e400", "out of range"),
            ("tru", "where a value was expected"),
            ("nul", "where a value was expected"),
            (#"{"op": "a", "op": "b"}"#, "the key \"op\" appears twice"),
        ] as [(String, String)]
    )
    func refusesMalformedDocuments(text: String, reason: String) {
        let error = #expect(throws: JSONParseError.self) { try Self.parse(text) }
        #expect(error?.description.contains(reason) == true, "\(text): \(error.map { "\($0)" } ?? "none")")
        #expect(error?.description.hasPrefix("not valid JSON: ") == true)
    }

    @Test func refusesInvalidUTF8InAString() {
        let error = #expect(throws: JSONParseError.self) { try JSONValue.parse([0x22, 0xC3, 0x28, 0x22]) }
        #expect(error?.description.contains("not valid UTF-8") == true)
    }

    @Test func refusesNestingDeeperThanTheLimit() throws {
        let deep =
            String(repeating: "[", count: JSONParser.maximumDepth)
            + String(repeating: "]", count: JSONParser.maximumDepth)
        #expect(throws: Never.self) { try Self.parse(deep) }
        let tooDeep = "[" + deep + "]"
        let error = #expect(throws: JSONParseError.self) { try Self.parse(tooDeep) }
        #expect(error?.description.contains("nested deeper than 512 levels") == true)
        // Far deeper still: refused, not a stack overflow.
        let error2 = #expect(throws: JSONParseError.self) {
            try Self.parse(String(repeating: "{\"a\":", count: 100_000))
        }
        #expect(error2 != nil)
    }

    @Test func aRepeatedKeyIsRefusedOnEitherSideOfTheInPlaceCheck() throws {
        let limit = JSONParser.keysCheckedInPlace
        for count in [2, limit - 1, limit, limit + 1, 3 * limit] {
            let members = (0..<count).map { #""k\#($0)":\#($0)"# }
            #expect(throws: Never.self) { try Self.parse("{" + members.joined(separator: ",") + "}") }
            // The first key again, as the last member: found by looking back, or in the set.
            let repeated = "{" + (members + [#""k0":true"#]).joined(separator: ",") + "}"
            let error = #expect(throws: JSONParseError.self) { try Self.parse(repeated) }
            #expect(error?.description.contains("the key \"k0\" appears twice") == true, "\(count) keys")
            // And an escaped spelling of a key is the same key.
            let escaped = "{" + (members + [#""\u006b1":true"#]).joined(separator: ",") + "}"
            #expect(throws: JSONParseError.self, "\(count) keys, k1 escaped") { try Self.parse(escaped) }
        }
    }

    @Test func manyKeysAreReadInLinearTime() throws {
        let keys = (0..<20_000).map { #""k\#($0)":\#($0)"# }.joined(separator: ",")
        let started = ContinuousClock.now
        guard case .object(let object) = try Self.parse("{" + keys + "}") else {
            Issue.record("not an object")
            return
        }
        #expect(object.members.count == 20_000)
        // Quadratic would be 200 million key comparisons; wide tolerance for debug builds under load.
        #expect(ContinuousClock.now - started < .seconds(10))
    }
}
