/// A set of event loops, by index (at most ``capacity``): which of a gateway's loops have listeners of a stream.
struct LoopSet: Sendable, Hashable, Sequence {
    /// The most loops a set can hold; the gateway refuses more event loop threads.
    static let capacity = 64

    private var bits: UInt64

    /// The empty set.
    init() {
        self.bits = 0
    }

    /// Every loop from 0 to `count - 1`.
    static func all(count: Int) -> LoopSet {
        precondition(count <= Self.capacity, "at most \(Self.capacity) loops")
        var set = LoopSet()
        set.bits = count == Self.capacity ? .max : (1 << UInt64(count)) - 1
        return set
    }

    var isEmpty: Bool { self.bits == 0 }

    func contains(_ loop: Int) -> Bool { self.bits & (1 << UInt64(loop)) != 0 }

    /// Adds `loop`; returns whether it was new.
    @discardableResult
    mutating func insert(_ loop: Int) -> Bool {
        precondition(loop >= 0 && loop < Self.capacity, "loop index \(loop) out of range")
        defer { self.bits |= 1 << UInt64(loop) }
        return !self.contains(loop)
    }

    /// Removes `loop`; returns whether it was there.
    @discardableResult
    mutating func remove(_ loop: Int) -> Bool {
        guard loop >= 0 && loop < Self.capacity else { return false }
        defer { self.bits &= ~(1 << UInt64(loop)) }
        return self.contains(loop)
    }

    func makeIterator() -> Iterator { Iterator(bits: self.bits) }

    /// The loops in the set, lowest index first.
    struct Iterator: IteratorProtocol {
        var bits: UInt64

        mutating func next() -> Int? {
            guard self.bits != 0 else { return nil }
            let loop = self.bits.trailingZeroBitCount
            self.bits &= self.bits - 1
            return loop
        }
    }
}
