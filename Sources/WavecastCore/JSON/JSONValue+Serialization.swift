extension JSONValue {
    /// The value as compact JSON text (UTF-8), with keys in order and integers written without a fraction.
    public var serialized: String {
        String(decoding: self.serializedBytes, as: UTF8.self)
    }

    /// The value as compact JSON, UTF-8 bytes.
    public var serializedBytes: [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(128)
        self.write(into: &output)
        return output
    }

    /// Appends the value as compact JSON to `output`.
    ///
    /// Written byte by byte into the caller's array: the encoder serializes a reply per request, thousands a
    /// second, and going through `String` (a scalar at a time) cost more than the rest of the reply.
    public func write(into output: inout [UInt8]) {
        switch self {
        case .null:
            output += "null".utf8
        case .bool(let bool):
            output += (bool ? "true" : "false").utf8
        case .number(let number):
            if number.isFinite, number.rounded() == number, abs(number) < 9e15 {
                Self.writeInteger(Int64(number), into: &output)
            } else if number.isFinite {
                output += "\(number)".utf8
            } else {
                output += "null".utf8
            }
        case .string(let string):
            Self.writeString(string, into: &output)
        case .array(let values):
            output.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                value.write(into: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            output.append(UInt8(ascii: "{"))
            for (index, member) in object.members.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                Self.writeString(member.key, into: &output)
                output.append(UInt8(ascii: ":"))
                member.value.write(into: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    private static func writeInteger(_ value: Int64, into output: inout [UInt8]) {
        if value < 0 {
            output.append(UInt8(ascii: "-"))
        }
        var magnitude = value.magnitude
        // At most 16 digits: callers keep |value| < 9e15.
        var digits: (UInt64, UInt64) = (0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[15 - count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            output.append(contentsOf: buffer[(16 - count)...])
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    private static func writeString(_ string: String, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output += #"\""#.utf8
            case UInt8(ascii: "\\"): output += #"\\"#.utf8
            case UInt8(ascii: "\n"): output += #"\n"#.utf8
            case UInt8(ascii: "\r"): output += #"\r"#.utf8
            case UInt8(ascii: "\t"): output += #"\t"#.utf8
            case 0..<0x20:
                // Bytes of multi-byte UTF-8 sequences are all ≥ 0x80: only control characters land here.
                output += #"\u00"#.utf8
                output.append(Self.hexDigits[Int(byte >> 4)])
                output.append(Self.hexDigits[Int(byte & 0xF)])
            default:
                output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
}
