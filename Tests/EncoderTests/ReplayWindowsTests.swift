import Testing
import WavecastCore

@testable import Encoder

/// What the encoder keeps per stream to replay to a new subscriber.
struct ReplayWindowsTests {
    static let stream = try! StreamID("s")

    static func chunk(_ sequence: UInt64, sync: Bool = true) -> BusMessage {
        BusMessage(
            streamID: "s",
            header: BusHeader(
                kind: .chunk,
                isSync: sync,
                sampleRate: 8000,
                frameCount: 1,
                sequence: sequence,
                durationSamples: 576
            ),
            payload: [1]
        )
    }

    @Test func keepsTheWindowAndFlagsTheReplay() {
        // 300 ms at 8 kHz: 2,400 samples, 4 chunks of 576 (2,304).
        var windows = ReplayWindows(duration: .milliseconds(300), sampleRate: 8000)
        #expect(windows.replay(of: Self.stream).isEmpty)
        for sequence in UInt64(0)..<10 {
            windows.record(Self.chunk(sequence), on: Self.stream)
        }
        let replay = windows.replay(of: Self.stream)
        #expect(replay.map(\.header.sequence) == [6, 7, 8, 9])
        #expect(replay.allSatisfy { $0.header.isReplay })
        #expect(replay.map(\.header.isReplayEnd) == [false, false, false, true])
    }

    @Test func startsOnASyncChunk() {
        var windows = ReplayWindows(duration: .milliseconds(300), sampleRate: 8000)
        for sequence in UInt64(0)..<10 {
            windows.record(Self.chunk(sequence, sync: sequence != 6), on: Self.stream)
        }
        #expect(windows.replay(of: Self.stream).map(\.header.sequence) == [7, 8, 9])
    }

    @Test func aNewStartOrAnEndForgetsTheWindow() {
        var windows = ReplayWindows(duration: .seconds(1), sampleRate: 8000)
        windows.record(Self.chunk(0), on: Self.stream)
        windows.started(Self.stream)
        #expect(windows.replay(of: Self.stream).isEmpty)
        windows.record(Self.chunk(0), on: Self.stream)
        #expect(windows.count == 1)
        windows.ended(Self.stream)
        #expect(windows.replay(of: Self.stream).isEmpty && windows.count == 0)
    }

    @Test func aZeroWindowKeepsNothing() {
        var windows = ReplayWindows(duration: .zero, sampleRate: 8000)
        windows.record(Self.chunk(0), on: Self.stream)
        #expect(windows.count == 0)
    }
}
