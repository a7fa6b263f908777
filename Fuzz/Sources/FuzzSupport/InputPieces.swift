/// Cuts one fuzzer input into pieces, as a socket would deliver it, so incremental decoders see every boundary.
///
/// The sizes depend only on the input (its length and last byte), so a crashing input replays the same way. An input
/// of even length is fed whole; an odd one in pieces of 1 to 64 bytes.
public struct InputPieces: Sequence {
    private let bytes: UnsafeRawBufferPointer

    /// The pieces of `bytes`.
    public init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// The size of every piece but the last.
    public var pieceSize: Int {
        guard self.bytes.count & 1 == 1, let last = self.bytes.last else { return Swift.max(self.bytes.count, 1) }
        return Int(last & 0x3F) + 1
    }

    public func makeIterator() -> Iterator {
        Iterator(bytes: self.bytes, pieceSize: self.pieceSize)
    }

    /// Yields the pieces in order.
    public struct Iterator: IteratorProtocol {
        let bytes: UnsafeRawBufferPointer
        let pieceSize: Int
        var index = 0

        public mutating func next() -> UnsafeRawBufferPointer? {
            guard self.index < self.bytes.count else { return nil }
            let end = Swift.min(self.index + self.pieceSize, self.bytes.count)
            defer { self.index = end }
            return UnsafeRawBufferPointer(rebasing: self.bytes[self.index..<end])
        }
    }
}
