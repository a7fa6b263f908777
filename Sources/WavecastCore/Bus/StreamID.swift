/// The name of a stream: 1–64 characters of `[A-Za-z0-9._-]`.
///
/// It names the stream in the ingest protocol, on the bus (the first frame of every message) and in client URLs
/// (`/ws/{stream}`), so it is kept to characters that need no escaping anywhere.
public struct StreamID: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The longest allowed stream id, in characters.
    public static let maximumLength = 64

    /// The stream id's text.
    public let rawValue: String

    /// Validates a stream id.
    ///
    /// - Parameters:
    ///   - string: 1–64 characters of `[A-Za-z0-9._-]`.
    /// - Throws: ``StreamIDError`` if it is empty, too long, or has another character.
    public init(_ string: String) throws(StreamIDError) {
        // The common case, checked on the bytes: every message on the bus names its stream, and
        // counting or walking Characters (grapheme clusters) costs far more.
        let utf8 = string.utf8
        if (1...Self.maximumLength).contains(utf8.count), utf8.allSatisfy(Self.isAllowed) {
            self.rawValue = string
            return
        }
        guard !string.isEmpty else {
            throw .empty
        }
        let length = string.count
        guard length <= Self.maximumLength else {
            throw .tooLong(length)
        }
        for (position, character) in string.enumerated() {
            guard Self.isAllowed(character) else {
                throw .invalidCharacter(character, position: position)
            }
        }
        self.rawValue = string
    }

    /// The stream id's text.
    public var description: String {
        self.rawValue
    }

    /// Orders stream ids by their text.
    ///
    /// - Parameters:
    ///   - lhs: A stream id.
    ///   - rhs: Another stream id.
    /// - Returns: Whether `lhs` sorts before `rhs`.
    public static func < (lhs: StreamID, rhs: StreamID) -> Bool {
        lhs.rawValue < rhs.rawValue
    }

    private static func isAllowed(_ character: Character) -> Bool {
        guard character.isASCII, let ascii = character.asciiValue else {
            return false
        }
        return Self.isAllowed(ascii)
    }

    private static func isAllowed(_ ascii: UInt8) -> Bool {
        switch ascii {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }
}
