import Testing
import WavecastTestSupport

@testable import WavecastCore

/// G.711 µ-law, against known values, the reference sources and Python's `audioop` where it exists.
struct MuLawTests {
    /// Samples and their µ-law bytes, as Python 3.11's `audioop.lin2ulaw` (the Sun reference) gives them.
    static let known: [(Int16, UInt8)] = [
        (0, 255), (1, 255), (-1, 126), (2, 255), (-2, 126), (3, 255), (-4, 126), (-5, 126), (31, 251), (32, 251),
        (33, 251), (100, 242), (-100, 114), (1000, 206), (-1000, 78), (8158, 159), (8159, 159), (-8159, 31),
        (32635, 128), (32636, 128), (32767, 128), (-32767, 0), (-32768, 0), (12345, 151), (-12345, 23), (255, 231),
        (-256, 103), (4096, 175), (-4096, 47),
    ]

    /// Bytes and their linear values, as `audioop.ulaw2lin` gives them.
    static let decoded: [(UInt8, Int16)] = [
        (0, -32124), (1, -31100), (126, -8), (127, 0), (128, 32124), (254, 8), (255, 0), (85, -716), (170, 5372),
    ]

    @Test func encodesTheKnownValues() {
        for (sample, byte) in Self.known {
            #expect(MuLaw.encode(sample) == byte, "\(sample)")
        }
        #expect(MuLaw.silence == MuLaw.encode(Int16(0)))
    }

    @Test func decodesTheKnownValues() {
        for (byte, sample) in Self.decoded {
            #expect(MuLaw.decode(byte) == sample, "\(byte)")
        }
    }

    @Test func agreesWithTheReferenceSourcesOnEverySample() {
        var differences = 0
        for value in Int16.min...Int16.max where MuLaw.encode(value) != G711.linearToMuLaw(value) {
            differences += 1
        }
        #expect(differences == 0)
        for byte in UInt8.min...UInt8.max {
            #expect(MuLaw.decode(byte) == G711.muLawToLinear(byte))
            // Every code but negative zero (0x7F, which decodes to 0 like 0xFF) comes back as itself.
            if byte != 0x7F {
                #expect(MuLaw.encode(MuLaw.decode(byte)) == byte, "\(byte)")
            }
        }
    }

    @Test func agreesWithPythonsAudioopOnEverySample() throws {
        let script = """
            import sys, struct
            try:
                import warnings; warnings.simplefilter("ignore"); import audioop
            except ImportError:
                print("no audioop"); sys.exit(0)
            data = b"".join(struct.pack("<h", v) for v in range(-32768, 32768))
            print(audioop.lin2ulaw(data, 2).hex())
            """
        let run = try ExternalTool.run("python3", ["-c", script])
        let text = run.stdout.filter { !$0.isWhitespace }
        // Python 3.13 removed audioop (PEP 594): the known values above stand in for it there.
        guard run.status == 0, text != "noaudioop" else { return }
        let digits = Array(text.utf8)
        let bytes = stride(from: 0, to: digits.count - 1, by: 2).compactMap {
            UInt8(String(decoding: digits[$0...$0 + 1], as: UTF8.self), radix: 16)
        }
        #expect(bytes.count == 65536)
        var mismatches = 0
        for (index, value) in (Int(Int16.min)...Int(Int16.max)).enumerated()
        where index < bytes.count && MuLaw.encode(Int16(value)) != bytes[index] {
            mismatches += 1
        }
        #expect(mismatches == 0)
    }

    @Test func encodesFloatsRoundedAndClipped() {
        #expect(MuLaw.encode(Float(0)) == 0xFF)
        #expect(MuLaw.encode(Float(1.5)) == MuLaw.encode(Int16.max))
        #expect(MuLaw.encode(Float(-1.5)) == MuLaw.encode(Int16.min))
        #expect(MuLaw.encode(Float(1000) / 32768) == MuLaw.encode(Int16(1000)))
    }
}
