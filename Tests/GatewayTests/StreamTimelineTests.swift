import Testing
import WavecastCore

@testable import Gateway

/// The gateway's pacing decisions, on made-up arrival times (no clock, no I/O).
struct StreamTimelineTests {
    /// 8 kHz, one 576-sample frame per chunk: 72 ms.
    static let chunkSamples: UInt64 = 576
    static let chunkNanoseconds: UInt64 = 72_000_000
    static let jitter: UInt64 = 40_000_000
    static let start: UInt64 = 5_000_000_000

    private static func schedule(
        _ timeline: inout StreamTimeline,
        _ sequence: UInt64,
        at arrival: UInt64,
        jitter: UInt64 = Self.jitter
    ) -> StreamTimeline.Decision {
        timeline.schedule(
            sequence: sequence,
            timestamp: sequence * Self.chunkSamples,
            arrival: arrival,
            jitter: jitter
        )
    }

    @Test func firstChunkAnchorsAtArrivalPlusJitter() {
        var timeline = StreamTimeline(sampleRate: 8000, arrival: Self.start)
        let decision = Self.schedule(&timeline, 0, at: Self.start)
        #expect(decision == .init(deadline: Self.start + Self.jitter, missing: 0, reanchored: true))
        #expect(timeline.lastArrival == Self.start)
    }

    @Test func liveChunksFollowAReplayedBurstAtOneTimesWithoutAGap() {
        // Chunks up to 9 were replayed and sent at `start`: chunk 10 is due one chunk later, not a
        // jitter delay after it arrives, and no gap is counted.
        var timeline = StreamTimeline(sampleRate: 8000, arrival: Self.start)
        timeline.replayed(through: 9, timestamp: 9 * Self.chunkSamples, arrival: Self.start)
        #expect(timeline.nextSequence == 10)
        let next = Self.schedule(&timeline, 10, at: Self.start + 30_000_000)
        #expect(next == .init(deadline: Self.start + Self.chunkNanoseconds, missing: 0, reanchored: false))
        // Arriving later than its time by more than the jitter budget re-anchors, as after a pause.
        let late = Self.schedule(&timeline, 11, at: Self.start + 2 * Self.chunkNanoseconds + Self.jitter + 1)
        #expect(late.reanchored && late.missing == 0)
    }

    @Test func firstChunkMidStreamAnchorsOnItsOwnTimestamp() {
        // A fresh gateway joins at chunk 100: pts are counted from there, not from 0.
        var timeline = StreamTimeline(sampleRate: 8000, arrival: Self.start)
        #expect(Self.schedule(&timeline, 100, at: Self.start).deadline == Self.start + Self.jitter)
        let next = Self.schedule(&timeline, 101, at: Self.start + Self.chunkNanoseconds)
        #expect(
            next == .init(deadline: Self.start + Self.jitter + Self.chunkNanoseconds, missing: 0, reanchored: false)
        )
    }

    @Test func deadlinesFollowPtsExactlyWhateverTheBusJitter() {
        var timeline = StreamTimeline(sampleRate: 8000, arrival: Self.start)
        _ = Self.schedule(&timeline, 0, at: Self.start)
        // Arrivals wobble by up to ±30 ms (inside the 40 ms budget); deadlines do not.
        let wobble: [Int64] = [30, -30, 0, 25, -10, 5, 30, -29, 1, 0]
        for k in UInt64(1)...1000 {
            let noise = wobble[Int(k) % wobble.count] * 1_000_000
            let arrival = UInt64(Int64(Self.start + k * Self.chunkNanoseconds) + noise)
            let decision = Self.schedule(&timeline, k, at: arrival)
            #expect(decision.deadline == Self.start + Self.jitter + k * Self.chunkNanoseconds)
            #expect(decision.missing == 0)
            #expect(!decision.reanchored)
        }
    }

    @Test func noDriftAt44100() {
        // 1152 samples at 44.1 kHz is 26.122448… ms: deadlines come from total samples, never summed steps.
        var timeline = StreamTimeline(sampleRate: 44100, arrival: Self.start)
        _ = timeline.schedule(sequence: 0, timestamp: 0, arrival: Self.start, jitter: Self.jitter)
        var last = StreamTimeline.Decision(deadline: 0, missing: 0, reanchored: false)
        for k in UInt64(1)...10_000 {
            let pts = MediaClock.nanoseconds(samples: k * 1152, sampleRate: 44100)
            last = timeline.schedule(sequence: k, timestamp: k * 1152, arrival: Self.start + pts, jitter: Self.jitter)
        }
        #expect(last.deadline == Self.start + Self.jitter + 261_224_489_795)
    }

    @Test func lateChunkGoesOutAtOnce() {
        var timeline = StreamTimeline(sampleRate: 8000, arrival: Self.start)
        _ = Self.schedule(&timeline, 0, at: Self.start)
        // Chunk 1 is due at start + 40 + 72 ms; it arrives 25 ms after that (within the 40 ms budget).
        let due = Self.start + Self.jitter + Self.chunkNanoseconds
        let late = Self.schedule(&timeline, 1, at: due + 25_000_000)
        #expect(late == .init(deadline: due + 25_000_000, missing: 0, reanchored: false))
        // The anchor did not move: chunk 2 is due on the original schedule.
        let next = Self.schedule(&timeline, 2, at: Self.start + 2 * Self.chunkNanoseconds)
        #expect(next.deadline == due + Self.chunkNanoseconds)
    }

    @Test func gapReanchorsAndCountsWhatIsMissing() {
        var timeline = StreamTimeline(sampleRate: 8000, arrival: Self.start)
        _ = Self.schedule(&timeline, 0, at: Self.start)
        _ = Self.schedule(&timeline, 1, at: Self.start + Self.chunkNanoseconds)
        // Chunks 2, 3 and 4 are lost; 5 arrives on time.
        let arrival = Self.start + 5 * Self.chunkNanoseconds
        let decision = Self.schedule(&timeline, 5, at: arrival)
        #expect(decision == .init(deadline: arrival + Self.jitter, missing: 3, reanchored: true))
        // From there on, paced from the new anchor.
        let next = Self.schedule(&timeline, 6, at: arrival + Self.chunkNanoseconds)
        #expect(next == .init(deadline: arrival + Self.jitter + Self.chunkNanoseconds, missing: 0, reanchored: false))
    }

    @Test func sequenceGoingBackReanchorsWithoutCountingMissing() {
        // An encoder restarted without a start reaching us: sequence and timestamps begin again at 0.
        var timeline = StreamTimeline(sampleRate: 8000, arrival: Self.start)
        for k in UInt64(0)..<10 {
            _ = Self.schedule(&timeline, k, at: Self.start + k * Self.chunkNanoseconds)
        }
        let arrival = Self.start + 20 * Self.chunkNanoseconds
        let decision = Self.schedule(&timeline, 0, at: arrival)
        #expect(decision == .init(deadline: arrival + Self.jitter, missing: 0, reanchored: true))
        #expect(Self.schedule(&timeline, 1, at: arrival).deadline == arrival + Self.jitter + Self.chunkNanoseconds)
    }

    @Test func restartAnchorsTheNextChunkAfresh() {
        var timeline = StreamTimeline(sampleRate: 8000, arrival: Self.start)
        for k in UInt64(0)..<5 {
            _ = Self.schedule(&timeline, k, at: Self.start + k * Self.chunkNanoseconds)
        }
        // A new start (another file) 100 ms later, at 16 kHz: 576 samples is now 36 ms.
        let restart = Self.start + 5 * Self.chunkNanoseconds + 100_000_000
        timeline.restart(sampleRate: 16000, arrival: restart)
        #expect(timeline.sampleRate == 16000)
        #expect(timeline.lastArrival == restart)
        let first = timeline.schedule(sequence: 0, timestamp: 0, arrival: restart + 1_000_000, jitter: Self.jitter)
        #expect(first == .init(deadline: restart + 1_000_000 + Self.jitter, missing: 0, reanchored: true))
        let second = timeline.schedule(sequence: 1, timestamp: 576, arrival: restart + 37_000_000, jitter: Self.jitter)
        #expect(
            second == .init(deadline: restart + 1_000_000 + Self.jitter + 36_000_000, missing: 0, reanchored: false)
        )
    }

    @Test func pauseBeyondTheJitterBudgetReanchorsWithoutABurst() {
        // A live source underran: chunk 3 comes 500 ms late, then the rest at real time again.
        var timeline = StreamTimeline(sampleRate: 8000, arrival: Self.start)
        for k in UInt64(0)..<3 {
            _ = Self.schedule(&timeline, k, at: Self.start + k * Self.chunkNanoseconds)
        }
        let resumed = Self.start + 3 * Self.chunkNanoseconds + 500_000_000
        let decision = Self.schedule(&timeline, 3, at: resumed)
        #expect(decision == .init(deadline: resumed + Self.jitter, missing: 0, reanchored: true))
        // Chunks 4… are paced 72 ms apart from the new anchor: none is sent early to catch up.
        for k in UInt64(4)..<10 {
            let step = (k - 3) * Self.chunkNanoseconds
            let next = Self.schedule(&timeline, k, at: resumed + step)
            #expect(next == .init(deadline: resumed + Self.jitter + step, missing: 0, reanchored: false))
        }
    }

    @Test func lateByExactlyTheBudgetIsStillOnTheOldAnchor() {
        var timeline = StreamTimeline(sampleRate: 8000, arrival: Self.start)
        _ = Self.schedule(&timeline, 0, at: Self.start)
        let due = Self.start + Self.jitter + Self.chunkNanoseconds
        #expect(
            Self.schedule(&timeline, 1, at: due + Self.jitter)
                == .init(deadline: due + Self.jitter, missing: 0, reanchored: false)
        )
        let due2 = due + Self.chunkNanoseconds
        let over = Self.schedule(&timeline, 2, at: due2 + Self.jitter + 1)
        #expect(over == .init(deadline: due2 + 2 * Self.jitter + 1, missing: 0, reanchored: true))
    }

    @Test func zeroJitterSendsOnArrival() {
        var timeline = StreamTimeline(sampleRate: 8000, arrival: Self.start)
        #expect(Self.schedule(&timeline, 0, at: Self.start, jitter: 0).deadline == Self.start)
        // Early: waits for its pts. Late by 1 ns: re-anchored on its arrival, sent at once.
        #expect(
            Self.schedule(&timeline, 1, at: Self.start + 60_000_000, jitter: 0).deadline == Self.start
                + Self.chunkNanoseconds
        )
        let late = Self.start + 2 * Self.chunkNanoseconds + 1
        #expect(Self.schedule(&timeline, 2, at: late, jitter: 0) == .init(deadline: late, missing: 0, reanchored: true))
    }

    @Test func startAndEndGoOutBehindScheduledChunks() {
        var timeline = StreamTimeline(sampleRate: 8000, arrival: Self.start)
        let first = Self.schedule(&timeline, 0, at: Self.start)
        // An end arriving at once still goes out after the chunk already scheduled.
        let end = timeline.scheduleEvent(arrival: Self.start + 7, jitter: 0)
        #expect(end == first.deadline)
        #expect(timeline.lastArrival == Self.start + 7)
        // With time to spare it gets its own jitter delay.
        #expect(
            timeline.scheduleEvent(arrival: Self.start + Self.chunkNanoseconds, jitter: Self.jitter)
                == Self.start + Self.chunkNanoseconds + Self.jitter
        )
    }

    @Test func deadlinesNeverGoBackwards() {
        var timeline = StreamTimeline(sampleRate: 8000, arrival: Self.start)
        // Chunks 0–2 arrive early together (a burst after a stall) and are scheduled ahead.
        let scheduled = (0..<3).map { Self.schedule(&timeline, $0, at: Self.start).deadline }
        // Chunk 4 (3 was lost) re-anchors on its arrival, which is before chunk 2's deadline.
        let afterGap = Self.schedule(&timeline, 4, at: Self.start + 1)
        #expect(afterGap.reanchored && afterGap.missing == 1)
        #expect(afterGap.deadline >= scheduled[2], "an event must not overtake one scheduled before it")
    }

    @Test func aBacklogHandedOverAtOnceCatchesUpToLive() {
        var timeline = StreamTimeline(sampleRate: 8000, arrival: Self.start)
        _ = Self.schedule(&timeline, 0, at: Self.start, jitter: 0)
        // The gateway was stalled: 30 chunks (2.16 s) arrive together a little later.
        let resume = Self.start + 30 * Self.chunkNanoseconds
        var deadlines: [UInt64] = []
        for sequence in 1...30 {
            deadlines.append(Self.schedule(&timeline, UInt64(sequence), at: resume, jitter: 0).deadline)
        }
        // Never more than a second behind live: the tail of the backlog goes out at once.
        #expect(deadlines.allSatisfy { $0 <= resume + StreamTimeline.maximumBehindLive + Self.chunkNanoseconds })
        #expect(deadlines == deadlines.sorted(), "in order")
        // And the next live chunk is paced from the live edge.
        let next = Self.schedule(&timeline, 31, at: resume + Self.chunkNanoseconds, jitter: 0)
        #expect(next.deadline <= resume + StreamTimeline.maximumBehindLive + 2 * Self.chunkNanoseconds)
    }

    // MARK: Epochs: which incarnation of the stream is followed

    @Test func theFollowedEpochIsCurrentAndAnotherStartTakesOverAtOnce() {
        var timeline = StreamTimeline(sampleRate: 8000, arrival: Self.start, epoch: 7)
        _ = Self.schedule(&timeline, 0, at: Self.start)
        #expect(timeline.admit(epoch: 7, isStart: false, arrival: Self.start + 1) == .current)
        #expect(timeline.admit(epoch: 7, isStart: true, arrival: Self.start + 1) == .current)
        // Epochs are not ordered across encoders: a lower one's start takes over as well.
        #expect(timeline.admit(epoch: 3, isStart: true, arrival: Self.start + 1) == .takeOver)
        timeline.restart(sampleRate: 8000, arrival: Self.start + 1, epoch: 3)
        #expect(timeline.epoch == 3)
        #expect(timeline.admit(epoch: 7, isStart: false, arrival: Self.start + 2) == .stale)
    }

    @Test func anotherEpochsChunkIsStaleWhileTheFollowedOneIsAliveAndTakesOverWhenItFellSilent() {
        var timeline = StreamTimeline(sampleRate: 8000, arrival: Self.start, epoch: 7)
        _ = Self.schedule(&timeline, 0, at: Self.start)
        let silence = StreamTimeline.takeOverSilence
        #expect(timeline.admit(epoch: 8, isStart: false, arrival: Self.start + silence - 1) == .stale)
        #expect(timeline.admit(epoch: 8, isStart: false, arrival: Self.start + silence) == .takeOver)
        // Each chunk of the followed epoch keeps it alive.
        _ = Self.schedule(&timeline, 1, at: Self.start + silence - 1)
        #expect(timeline.admit(epoch: 8, isStart: false, arrival: Self.start + silence) == .stale)
        // An arrival stamped before the last one (clock reads on two threads) is not a silence.
        #expect(timeline.admit(epoch: 8, isStart: false, arrival: Self.start) == .stale)
    }
}
