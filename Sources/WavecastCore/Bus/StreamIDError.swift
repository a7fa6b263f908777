/// Why a string is not a valid ``StreamID``.
public struct StreamIDError: Error, Sendable, Hashable {
    private enum Base: Sendable, Hashable {
        case empty
        case tooLong(Int)
        case invalidCharacter(Character, position: Int)
    }

    private let base: Base

    private init(_ base: Base) {
        self.base = base
    }

    /// The stream id is empty.
    public static var empty: Self { Self(.empty) }

    /// The stream id is longer than ``StreamID/maximumLength`` characters.
    ///
    /// - Parameters:
    ///   - length: The length seen, in characters.
    public static func tooLong(_ length: Int) -> Self {
        Self(.tooLong(length))
    }

    /// The stream id has a character outside `[A-Za-z0-9._-]`.
    ///
    /// - Parameters:
    ///   - character: The first invalid character.
    ///   - position: Its 0-based position, in characters.
    public static func invalidCharacter(_ character: Character, position: Int) -> Self {
        Self(.invalidCharacter(character, position: position))
    }

    /// A stable short identifier of the kind of error, e.g. `"stream_id.invalid_character"`.
    public var code: String {
        switch self.base {
        case .empty: "stream_id.empty"
        case .tooLong: "stream_id.too_long"
        case .invalidCharacter: "stream_id.invalid_character"
        }
    }
}

extension StreamIDError: CustomStringConvertible {
    private static func codePoints(_ character: Character) -> String {
        character.unicodeScalars.map { "U+" + String($0.value, radix: 16, uppercase: true) }.joined(separator: " ")
    }

    /// A message a person can act on.
    public var description: String {
        switch self.base {
        case .empty:
            "stream id is empty; use 1–\(StreamID.maximumLength) characters of A-Z a-z 0-9 . _ -"
        case .tooLong(let length):
            "stream id is \(length) characters long; the limit is \(StreamID.maximumLength)"
        case .invalidCharacter(let character, let position):
            "stream id has the invalid character \(character.debugDescription) (\(Self.codePoints(character))) "
                + "at position \(position) (0-based); use only A-Z a-z 0-9 . _ -"
        }
    }
}
