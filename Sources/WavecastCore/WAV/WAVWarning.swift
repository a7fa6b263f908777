/// A problem in a WAV file that the decoder worked around, such as a truncated `data` chunk.
public struct WAVWarning: Sendable, Hashable {
    /// A short, stable identifier of the kind of warning.
    public struct Code: Hashable, Sendable {
        fileprivate enum Base: String, Hashable, Sendable {
            case dataShorterThanDeclared = "data_shorter_than_declared"
            case partialFrameDropped = "partial_frame_dropped"
        }

        fileprivate let base: Base

        fileprivate init(_ base: Base) {
            self.base = base
        }

        /// The stable identifier, e.g. `data_shorter_than_declared`.
        public var name: String { self.base.rawValue }

        /// The input ended before the end the `data` chunk declares; the frames present were decoded.
        public static var dataShorterThanDeclared: Self { .init(.dataShorterThanDeclared) }
        /// The audio ended with an incomplete sample frame, which was dropped.
        public static var partialFrameDropped: Self { .init(.partialFrameDropped) }
    }

    fileprivate enum Reason: Hashable, Sendable {
        case dataShorterThanDeclared(declared: Int, present: Int)
        case partialFrameDropped(bytes: Int, blockAlign: Int)
    }

    fileprivate let reason: Reason

    /// The byte offset in the input the warning refers to (the `data` chunk, or the dropped bytes).
    public let offset: Int

    fileprivate init(_ reason: Reason, at offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    /// What kind of warning this is.
    public var code: Code {
        switch self.reason {
        case .dataShorterThanDeclared: .dataShorterThanDeclared
        case .partialFrameDropped: .partialFrameDropped
        }
    }

    static func dataShorterThanDeclared(declared: Int, present: Int, at offset: Int) -> Self {
        .init(.dataShorterThanDeclared(declared: declared, present: present), at: offset)
    }

    static func partialFrameDropped(bytes: Int, blockAlign: Int, at offset: Int) -> Self {
        .init(.partialFrameDropped(bytes: bytes, blockAlign: blockAlign), at: offset)
    }
}

extension WAVWarning.Code: CustomStringConvertible {
    /// The stable identifier, e.g. `data_shorter_than_declared`.
    public var description: String { self.name }
}

extension WAVWarning: CustomStringConvertible {
    /// A message for a person.
    public var description: String {
        switch self.reason {
        case .dataShorterThanDeclared(let declared, let present):
            "The 'data' chunk at byte offset \(self.offset) declares \(declared) bytes but only \(present) are present; "
                + "decoded the whole sample frames present."
        case .partialFrameDropped(let bytes, let blockAlign):
            "Dropped a partial sample frame of \(bytes) byte(s) at byte offset \(self.offset) "
                + "(a frame is \(blockAlign) bytes)."
        }
    }
}
