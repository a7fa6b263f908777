/// A strict RFC 8259 parser from bytes to ``JSONValue``, written for the ingest path.
///
/// Every request header is a small JSON object; Foundation's `JSONDecoder` through `Decodable`
/// cost about half of the encoder's per-request CPU at telephony cadence. This reads the bytes
/// once, allocates only the values it returns, and says where a document is wrong.
struct JSONParser {
    /// Deeper nesting is refused: a document of `[[[[…` must not exhaust the stack.
    static let maximumDepth = 512
    /// An object's keys are checked for duplicates by looking back over those before, up to this many; past it,
    /// through a set.
    static let keysCheckedInPlace = 16

    private let bytes: [UInt8]
    private var index = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Parses the whole document: one value, with only whitespace around it.
    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        self.skipWhitespace()
        let value = try self.parseValue(depth: 0)
        self.skipWhitespace()
        guard self.index == self.bytes.count else {
            throw self.error("unexpected \(self.describeByte()) after the document")
        }
        return value
    }

    private mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
        guard self.index < self.bytes.count else { throw self.error("the document ends where a value was expected") }
        switch self.bytes[self.index] {
        case UInt8(ascii: "{"): return try self.parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try self.parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try self.parseString())
        case UInt8(ascii: "t"):
            try self.expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try self.expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try self.expectLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .number(try self.parseNumber())
        default:
            throw self.error("unexpected \(self.describeByte()) where a value was expected")
        }
    }

    private mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= Self.maximumDepth else { throw self.error("nested deeper than \(Self.maximumDepth) levels") }
        self.index += 1
        var object = JSONObject()
        // A request header has a handful of keys: looking back over them costs less than hashing each into a set,
        // which takes over past `keysCheckedInPlace`, so a document with many keys is not read in quadratic time.
        var keys = Set<String>()
        self.skipWhitespace()
        if self.peek(UInt8(ascii: "}")) {
            self.index += 1
            return .object(object)
        }
        while true {
            self.skipWhitespace()
            guard self.peek(UInt8(ascii: "\"")) else {
                throw self.error("unexpected \(self.describeByte()) where an object key (a string) was expected")
            }
            let keyStart = self.index
            let key = try self.parseString()
            let isNew: Bool
            if object.members.count < Self.keysCheckedInPlace {
                isNew = !object.members.contains { $0.key == key }
            } else {
                if keys.isEmpty {
                    keys = Set(object.members.lazy.map(\.key))
                }
                isNew = keys.insert(key).inserted
            }
            guard isNew else {
                throw JSONParseError(reason: "the key \"\(key)\" appears twice in one object (at byte \(keyStart))")
            }
            self.skipWhitespace()
            guard self.peek(UInt8(ascii: ":")) else {
                throw self.error("unexpected \(self.describeByte()) where ':' was expected after a key")
            }
            self.index += 1
            self.skipWhitespace()
            object.appendNew(key, try self.parseValue(depth: depth))
            self.skipWhitespace()
            if self.peek(UInt8(ascii: ",")) {
                self.index += 1
            } else if self.peek(UInt8(ascii: "}")) {
                self.index += 1
                return .object(object)
            } else {
                throw self.error("unexpected \(self.describeByte()) where ',' or '}' was expected in an object")
            }
        }
    }

    private mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= Self.maximumDepth else { throw self.error("nested deeper than \(Self.maximumDepth) levels") }
        self.index += 1
        var values: [JSONValue] = []
        self.skipWhitespace()
        if self.peek(UInt8(ascii: "]")) {
            self.index += 1
            return .array(values)
        }
        while true {
            self.skipWhitespace()
            values.append(try self.parseValue(depth: depth))
            self.skipWhitespace()
            if self.peek(UInt8(ascii: ",")) {
                self.index += 1
            } else if self.peek(UInt8(ascii: "]")) {
                self.index += 1
                return .array(values)
            } else {
                throw self.error("unexpected \(self.describeByte()) where ',' or ']' was expected in an array")
            }
        }
    }

    private mutating func parseString() throws(JSONParseError) -> String {
        let start = self.index
        self.index += 1
        // Filled only when the string has an escape; most have none and are made straight from the input.
        var text: [UInt8] = []
        var escaped = false
        var runStart = self.index
        while true {
            guard self.index < self.bytes.count else {
                throw JSONParseError(reason: "the string that starts at byte \(start) is not closed")
            }
            let byte = self.bytes[self.index]
            if byte == UInt8(ascii: "\"") {
                if !escaped {
                    let run = self.bytes[runStart..<self.index]
                    self.index += 1
                    guard let string = String(validating: run, as: UTF8.self) else {
                        throw JSONParseError(reason: "the string that starts at byte \(start) is not valid UTF-8")
                    }
                    return string
                }
                text.append(contentsOf: self.bytes[runStart..<self.index])
                self.index += 1
                break
            }
            if byte < 0x20 {
                throw self.error("a control character (0x\(String(byte, radix: 16))) inside a string; escape it")
            }
            if byte == UInt8(ascii: "\\") {
                escaped = true
                text.append(contentsOf: self.bytes[runStart..<self.index])
                try self.parseEscape(into: &text)
                runStart = self.index
                continue
            }
            self.index += 1
        }
        guard let string = String(validating: text, as: UTF8.self) else {
            throw JSONParseError(reason: "the string that starts at byte \(start) is not valid UTF-8")
        }
        return string
    }

    private mutating func parseEscape(into text: inout [UInt8]) throws(JSONParseError) {
        let escapeStart = self.index
        self.index += 1
        guard self.index < self.bytes.count else { throw self.error("the document ends inside an escape") }
        let letter = self.bytes[self.index]
        self.index += 1
        switch letter {
        case UInt8(ascii: "\""): text.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): text.append(UInt8(ascii: "\\"))
        case UInt8(ascii: "/"): text.append(UInt8(ascii: "/"))
        case UInt8(ascii: "b"): text.append(0x08)
        case UInt8(ascii: "f"): text.append(0x0C)
        case UInt8(ascii: "n"): text.append(0x0A)
        case UInt8(ascii: "r"): text.append(0x0D)
        case UInt8(ascii: "t"): text.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = UInt32(try self.parseHex4())
            if (0xD800...0xDBFF).contains(scalar) {
                // A high surrogate must be followed by an escaped low one.
                guard self.index + 1 < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "\\"),
                    self.bytes[self.index + 1] == UInt8(ascii: "u")
                else {
                    throw JSONParseError(reason: "the escape at byte \(escapeStart) is an unpaired surrogate")
                }
                self.index += 2
                let low = UInt32(try self.parseHex4())
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw JSONParseError(reason: "the escape at byte \(escapeStart) is an unpaired surrogate")
                }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalar) {
                throw JSONParseError(reason: "the escape at byte \(escapeStart) is an unpaired surrogate")
            }
            text.append(contentsOf: String(Character(Unicode.Scalar(scalar)!)).utf8)
        default:
            throw JSONParseError(reason: "the escape at byte \(escapeStart) is not one JSON has")
        }
    }

    private mutating func parseHex4() throws(JSONParseError) -> UInt16 {
        guard self.index + 4 <= self.bytes.count else { throw self.error("the document ends inside a \\u escape") }
        var value: UInt16 = 0
        for _ in 0..<4 {
            let byte = self.bytes[self.index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw self.error("\(self.describeByte()) in a \\u escape; expected a hex digit")
            }
            value = value << 4 | UInt16(digit)
            self.index += 1
        }
        return value
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, as a Double.
    private mutating func parseNumber() throws(JSONParseError) -> Double {
        let start = self.index
        if self.peek(UInt8(ascii: "-")) { self.index += 1 }
        if self.peek(UInt8(ascii: "0")) {
            self.index += 1
        } else if self.digits() == 0 {
            throw self.error("a number needs a digit here")
        }
        if self.peek(UInt8(ascii: ".")) {
            self.index += 1
            guard self.digits() > 0 else { throw self.error("a number needs a digit after its '.'") }
        }
        if self.peek(UInt8(ascii: "e")) || self.peek(UInt8(ascii: "E")) {
            self.index += 1
            if self.peek(UInt8(ascii: "+")) || self.peek(UInt8(ascii: "-")) { self.index += 1 }
            guard self.digits() > 0 else { throw self.error("a number needs a digit in its exponent") }
        }
        let text = String(decoding: self.bytes[start..<self.index], as: UTF8.self)
        guard let number = Double(text), number.isFinite else {
            throw JSONParseError(reason: "the number at byte \(start) is out of range")
        }
        return number
    }

    private mutating func digits() -> Int {
        let start = self.index
        while self.index < self.bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self.bytes[self.index]) {
            self.index += 1
        }
        return self.index - start
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        let matches = literal.withUTF8Buffer { expected in
            self.index + count <= self.bytes.count
                && self.bytes[self.index..<self.index + count].elementsEqual(expected)
        }
        guard matches else { throw self.error("unexpected \(self.describeByte()) where a value was expected") }
        self.index += count
    }

    private mutating func skipWhitespace() {
        while self.index < self.bytes.count {
            switch self.bytes[self.index] {
            case 0x20, 0x09, 0x0A, 0x0D: self.index += 1
            default: return
            }
        }
    }

    private func peek(_ byte: UInt8) -> Bool {
        self.index < self.bytes.count && self.bytes[self.index] == byte
    }

    private func describeByte() -> String {
        guard self.index < self.bytes.count else { return "end of document" }
        let byte = self.bytes[self.index]
        if (0x21...0x7E).contains(byte) {
            return "'\(Character(Unicode.Scalar(byte)))' at byte \(self.index)"
        }
        return "byte 0x\(String(byte, radix: 16, uppercase: true)) at byte \(self.index)"
    }

    private func error(_ reason: String) -> JSONParseError {
        JSONParseError(reason: reason)
    }
}
