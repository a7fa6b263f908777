/// Ranks encoders for a stream by rendezvous (highest-random-weight) hashing, so every feeder that knows the same
/// encoders sends a stream to the same one, with no broker to ask.
///
/// Each encoder is named by a *key*: its ingest endpoint exactly as feeders connect to it, e.g.
/// `tcp://10.0.0.5:5555` (an IPv6 address in brackets, `tcp://[fd00::5]:5555`). A name that stands for several
/// encoders (a Kubernetes headless Service) is resolved first, and each of its IPv4 addresses is a key of its own.
/// A stream's ranking orders the keys by their weight for it, highest first:
///
/// ```
/// weight(key, stream) = mix64(fnv1a64(UTF-8 of key + "\n" + stream))
/// fnv1a64(bytes):  h = 0xCBF29CE484222325; for each byte b: h = (h XOR b) × 0x100000001B3 mod 2^64
/// mix64(z):        z = (z XOR (z >> 30)) × 0xBF58476D1CE4E5B9 mod 2^64
///                  z = (z XOR (z >> 27)) × 0x94D049BB133111EB mod 2^64
///                  z =  z XOR (z >> 31)
/// ```
///
/// Equal weights (which 64 bits make all but impossible) rank by key, in byte order. The first choice takes the
/// stream; when it is gone, the next choice does, and only its streams move: every other stream's first choice is
/// still there, still ranked above the rest. The weight is FNV-1a 64 (a few lines in any language, no
/// cryptography library: this module depends on nothing) followed by SplitMix64's finalizer, which spreads
/// FNV's weak low bits over all 64, so streams divide evenly among encoders.
///
/// docs/DEPLOYMENT.md ("Choosing an encoder") states the same algorithm, with golden vectors and a pyzmq feeder.
public struct RendezvousHash: Sendable, Hashable {
    /// The encoders' keys, each once, in the order first given.
    public let keys: [String]

    /// Creates a ranking over `keys`; repeated keys count once, and their order does not matter.
    ///
    /// - Parameters:
    ///   - keys: The encoders' keys: their ingest endpoints as feeders connect to them.
    public init(keys: some Sequence<String>) {
        var seen: Set<String> = []
        self.keys = keys.filter { seen.insert($0).inserted }
    }

    /// Every key, the stream's first choice first.
    ///
    /// - Parameters:
    ///   - stream: The stream to place.
    /// - Returns: The keys by descending weight for `stream`; ties by key in byte order.
    public func ranking(for stream: StreamID) -> [String] {
        self.keys
            .map { (key: $0, weight: Self.weight(of: $0, for: stream)) }
            .sorted { lhs, rhs in
                if lhs.weight != rhs.weight { return lhs.weight > rhs.weight }
                return lhs.key.utf8.lexicographicallyPrecedes(rhs.key.utf8)
            }
            .map(\.key)
    }

    /// The encoder that takes `stream` while every key is live; `nil` when there are no keys.
    ///
    /// - Parameters:
    ///   - stream: The stream to place.
    /// - Returns: The key with the highest weight for `stream`.
    public func firstChoice(for stream: StreamID) -> String? {
        self.ranking(for: stream).first
    }

    /// The weight of encoder `key` for `stream`: the 64-bit value the ranking sorts by, highest first.
    ///
    /// - Parameters:
    ///   - key: An encoder's key (its ingest endpoint).
    ///   - stream: The stream to place.
    /// - Returns: `mix64(fnv1a64(key + "\n" + stream))`, as the type's documentation states it.
    public static func weight(of key: String, for stream: StreamID) -> UInt64 {
        // The newline keeps ("a1", "2") and ("a", "12") apart: neither an endpoint nor a stream id has one.
        var hash = Self.fnv1a64(key.utf8, seed: Self.fnvOffsetBasis)
        hash = Self.fnv1a64(CollectionOfOne(UInt8(ascii: "\n")), seed: hash)
        hash = Self.fnv1a64(stream.rawValue.utf8, seed: hash)
        return Self.mix64(hash)
    }

    private static let fnvOffsetBasis: UInt64 = 0xCBF2_9CE4_8422_2325
    private static let fnvPrime: UInt64 = 0x0000_0100_0000_01B3

    /// FNV-1a 64 over `bytes`, continuing from `seed` (the offset basis for a fresh hash).
    static func fnv1a64(_ bytes: some Sequence<UInt8>, seed: UInt64) -> UInt64 {
        var hash = seed
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* Self.fnvPrime
        }
        return hash
    }

    /// SplitMix64's finalizer (Steele, Lea and Flood, 2014), without its counter step: every input bit reaches
    /// every output bit.
    static func mix64(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
