import Testing

@testable import WavecastCore

/// Rendezvous hashing of streams over encoders: the exact weights other languages must reproduce, and the
/// properties a feeder relies on (a lost encoder moves only its own streams; streams spread evenly).
struct RendezvousHashTests {
    private static let encoders = ["tcp://10.0.0.5:5555", "tcp://10.0.0.6:5555", "tcp://10.0.0.7:5555"]

    /// Weights computed by the Python lines of docs/DEPLOYMENT.md ("Choosing an encoder"), run with python3; the
    /// same table is in that document.
    static let goldenWeights: [(key: String, stream: String, weight: UInt64)] = [
        ("tcp://10.0.0.5:5555", "demo", 0x74CB_087B_076D_6017),
        ("tcp://10.0.0.6:5555", "demo", 0xAA3F_615B_6695_49A8),
        ("tcp://10.0.0.7:5555", "demo", 0x4E2A_247D_0775_2D4F),
        ("tcp://10.0.0.5:5555", "call-42", 0x5621_DEBA_BFD5_0D4B),
        ("tcp://10.0.0.6:5555", "call-42", 0x2034_4A77_11D5_170A),
        ("tcp://10.0.0.7:5555", "call-42", 0x6200_AE12_8BDE_3D1A),
        ("tcp://10.0.0.5:5555", "tenant-a.room-7", 0xCAFF_62DB_2DD8_9869),
        ("tcp://10.0.0.6:5555", "tenant-a.room-7", 0x963B_2998_F9ED_6678),
        ("tcp://10.0.0.7:5555", "tenant-a.room-7", 0xD226_41E6_2FF3_1C63),
        ("tcp://[fd00::5]:5555", "demo", 0xDF7B_7FDA_0F96_B301),
    ]

    @Test func weightsMatchTheDocumentedAlgorithm() throws {
        for vector in Self.goldenWeights {
            let weight = RendezvousHash.weight(of: vector.key, for: try StreamID(vector.stream))
            #expect(weight == vector.weight, "\(vector.key) for \(vector.stream)")
        }
    }

    @Test func rankingsMatchTheDocumentedOnes() throws {
        let hash = RendezvousHash(keys: Self.encoders)
        #expect(
            hash.ranking(for: try StreamID("demo"))
                == ["tcp://10.0.0.6:5555", "tcp://10.0.0.5:5555", "tcp://10.0.0.7:5555"]
        )
        #expect(
            hash.ranking(for: try StreamID("call-42"))
                == ["tcp://10.0.0.7:5555", "tcp://10.0.0.5:5555", "tcp://10.0.0.6:5555"]
        )
        #expect(hash.firstChoice(for: try StreamID("tenant-a.room-7")) == "tcp://10.0.0.7:5555")
    }

    /// The two halves of the weight against their published definitions, so a mistake shows which half it is in.
    @Test func buildingBlocksMatchTheirReferences() {
        // FNV-1a 64's own test vectors (Fowler, Noll and Vo's reference table).
        let basis: UInt64 = 0xCBF2_9CE4_8422_2325
        #expect(RendezvousHash.fnv1a64([], seed: basis) == basis)
        #expect(RendezvousHash.fnv1a64(Array("a".utf8), seed: basis) == 0xAF63_DC4C_8601_EC8C)
        #expect(RendezvousHash.fnv1a64(Array("foobar".utf8), seed: basis) == 0x8594_4171_F739_67E8)
        // SplitMix64 is the counter step (+ 0x9E3779B97F4A7C15) then this finalizer: its first output for seed 0.
        #expect(RendezvousHash.mix64(0x9E37_79B9_7F4A_7C15) == 0xE220_A839_7B1D_CDAF)
        #expect(RendezvousHash.mix64(0) == 0)
    }

    @Test func orderOfKeysAndRepeatsDoNotMatter() throws {
        let stream = try StreamID("demo")
        let forward = RendezvousHash(keys: Self.encoders)
        let backward = RendezvousHash(keys: Self.encoders.reversed() + Self.encoders)
        #expect(backward.keys.count == 3)
        #expect(forward.ranking(for: stream) == backward.ranking(for: stream))
        #expect(RendezvousHash(keys: []).firstChoice(for: stream) == nil)
    }

    /// The reason for rendezvous hashing: losing an encoder moves its streams, each to its own next choice, and
    /// no other stream; an encoder added takes streams only for itself.
    @Test func losingAnEncoderMovesOnlyItsStreams() throws {
        let streams = try (0..<1000).map { try StreamID("stream-\($0)") }
        let all = RendezvousHash(keys: Self.encoders)
        for lost in Self.encoders {
            let rest = RendezvousHash(keys: Self.encoders.filter { $0 != lost })
            var moved = 0
            for stream in streams {
                let before = all.ranking(for: stream)
                let after = try #require(rest.firstChoice(for: stream))
                if before[0] == lost {
                    moved += 1
                    #expect(after == before[1], "\(stream) went to \(after), not its next choice \(before[1])")
                } else {
                    #expect(after == before[0], "\(stream) moved from \(before[0]) although \(lost) was lost")
                }
            }
            #expect(moved > 0)
        }
        let grown = RendezvousHash(keys: Self.encoders + ["tcp://10.0.0.8:5555"])
        for stream in streams {
            let choice = try #require(grown.firstChoice(for: stream))
            #expect(choice == "tcp://10.0.0.8:5555" || choice == all.firstChoice(for: stream))
        }
    }

    /// 1,000 streams over three encoders: each gets about a third. The bounds are wide (a third is 333; 250–417 is
    /// ±25 %), but a weight that ignored the stream or the key would put most streams on one encoder.
    @Test func streamsSpreadEvenlyOverEncoders() throws {
        for pattern in ["stream-", "call-", "tenant-a.room-"] {
            let hash = RendezvousHash(keys: Self.encoders)
            var counts: [String: Int] = [:]
            for index in 0..<1000 {
                counts[hash.firstChoice(for: try StreamID("\(pattern)\(index)"))!, default: 0] += 1
            }
            #expect(counts.count == 3)
            for (encoder, count) in counts {
                #expect((250...417).contains(count), "\(encoder) got \(count) of 1,000 \(pattern)N streams")
            }
        }
    }
}
