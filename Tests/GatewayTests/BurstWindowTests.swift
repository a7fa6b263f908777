import NIOCore
import Testing
import WavecastCore

@testable import Gateway

/// The burst a new listener gets and what a resuming client gets, from a window of chunks: no clock, no sockets.
struct BurstWindowTests {
    static let stream = try! StreamID("s")

    static func chunk(_ sequence: UInt64, epoch: UInt32 = 7, isSync: Bool = true) -> OutgoingEvent {
        OutgoingEvent(
            stream: Self.stream,
            kind: .chunk(isSync: isSync, sequence: sequence, durationNanoseconds: 100_000_000),
            frame: ByteBuffer(),
            seedFrame: nil,
            deadline: sequence,
            serial: sequence + 1,
            epoch: epoch
        )
    }

    /// A window with a 300 ms burst keeping 1 s, holding chunks `sequences` of 100 ms.
    static func window(_ sequences: ClosedRange<UInt64>, epoch: UInt32 = 7) -> BurstWindow {
        var window = BurstWindow(limitNanoseconds: 300_000_000, keepNanoseconds: 1_000_000_000)
        for sequence in sequences {
            window.remember(Self.chunk(sequence, epoch: epoch))
        }
        return window
    }

    @Test func keepsTheResumeWindowButBurstsOnlyTheBurst() {
        let window = Self.window(0...19)
        #expect(window.recent.map(\.sequence) == Array(10...19))
        #expect(window.burst.map(\.sequence) == [17, 18, 19])
    }

    @Test func theBurstStartsOnASyncChunk() {
        var window = BurstWindow(limitNanoseconds: 300_000_000, keepNanoseconds: 1_000_000_000)
        for sequence: UInt64 in 0...9 {
            window.remember(Self.chunk(sequence, isSync: sequence != 7))
        }
        #expect(window.burst.map(\.sequence) == [8, 9])
    }

    @Test func aResumeInsideTheWindowGetsExactlyWhatItMissed() {
        let outcome = Self.window(0...19).resume(from: ResumePoint(epoch: 7, sequence: 12))
        #expect(outcome.recovered && outcome.missing == 0 && outcome.reason == nil)
        #expect(outcome.chunks.map(\.sequence) == Array(13...19))
        // Right at the window's start, and up to date.
        #expect(
            Self.window(0...19).resume(from: ResumePoint(epoch: 7, sequence: 9)).chunks.map(\.sequence)
                == Array(10...19)
        )
        let upToDate = Self.window(0...19).resume(from: ResumePoint(epoch: 7, sequence: 19))
        #expect(upToDate.recovered && upToDate.chunks.isEmpty)
    }

    @Test func aResumePastTheWindowSaysHowMuchIsGoneAndGetsABurst() {
        let outcome = Self.window(0...19).resume(from: ResumePoint(epoch: 7, sequence: 4))
        #expect(!outcome.recovered && outcome.missing == 5 && outcome.reason == "window_passed")
        #expect(outcome.chunks.map(\.sequence) == [17, 18, 19])
    }

    @Test func anotherEpochIsNotRecovered() {
        let outcome = Self.window(0...19).resume(from: ResumePoint(epoch: 8, sequence: 15))
        #expect(!outcome.recovered && outcome.reason == "epoch_changed")
        #expect(outcome.chunks.map(\.sequence) == [17, 18, 19])
        let empty = BurstWindow(limitNanoseconds: 300_000_000).resume(from: ResumePoint(epoch: 7, sequence: 1))
        #expect(!empty.recovered && empty.reason == "nothing_kept" && empty.chunks.isEmpty)
    }
}
