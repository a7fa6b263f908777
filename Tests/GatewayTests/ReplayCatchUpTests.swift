import Testing
import WavecastCore

@testable import Gateway

/// How a just-subscribed stream's burst is put together from the encoder's replay and live chunks.
struct ReplayCatchUpTests {
    /// 8 kHz, 576 samples: 72 ms per chunk.
    static func chunk(_ sequence: UInt64, sync: Bool = true, replay: Bool = false) -> BusMessage {
        BusMessage(
            streamID: "s",
            header: BusHeader(
                kind: .chunk,
                isSync: sync,
                isReplay: replay,
                channels: 1,
                sampleRate: 8000,
                bitrate: 8,
                frameCount: 1,
                sequence: sequence,
                timestampSamples: sequence * 576,
                durationSamples: 576
            ),
            payload: [UInt8(truncatingIfNeeded: sequence)]
        )
    }

    static func sequences(_ chunks: some Sequence<BusMessage>) -> [UInt64] {
        chunks.map(\.header.sequence)
    }

    @Test func liveChunksThatOvertakeTheReplayAreMergedInOrderOnce() {
        var catchUp = ReplayCatchUp(deadline: 0)
        // libzmq applied the subscription while the encoder was publishing: 13 and 14 come first.
        catchUp.hold(Self.chunk(13))
        catchUp.hold(Self.chunk(14))
        for sequence in UInt64(5)...14 {
            catchUp.hold(Self.chunk(sequence, replay: true))
        }
        catchUp.hold(Self.chunk(15))
        #expect(Self.sequences(catchUp.chunks) == Array(5...15))
        #expect(catchUp.chunks.filter(\.header.isReplay).count == 8, "13 and 14 are held once, as first seen")
    }

    @Test func theBurstIsTheNewestWindowFromASyncChunk() {
        var catchUp = ReplayCatchUp(deadline: 0)
        for sequence in UInt64(0)...9 {
            catchUp.hold(Self.chunk(sequence, sync: sequence != 6, replay: true))
        }
        // 300 ms holds 4 chunks of 72 ms: 6...9, but 6 is no sync chunk.
        #expect(Self.sequences(catchUp.burst(limitNanoseconds: 300_000_000)) == [7, 8, 9])
        #expect(Self.sequences(catchUp.burst(limitNanoseconds: 10_000_000_000)) == Array(0...9))
        #expect(catchUp.burst(limitNanoseconds: 0).isEmpty)
    }

    @Test func aGapEndsTheBurst() {
        var catchUp = ReplayCatchUp(deadline: 0)
        for sequence: UInt64 in [1, 2, 3, 6, 7] {
            catchUp.hold(Self.chunk(sequence))
        }
        #expect(Self.sequences(catchUp.burst(limitNanoseconds: 1_000_000_000)) == [6, 7])
    }

    @Test func nothingHeldMakesNoBurst() {
        let catchUp = ReplayCatchUp(deadline: 42)
        #expect(catchUp.burst(limitNanoseconds: 1_000_000_000).isEmpty)
        #expect(catchUp.deadline == 42)
    }
}
