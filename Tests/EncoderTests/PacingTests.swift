import Testing
import WavecastCore
import WavecastTestSupport

/// Real-time publication: chunks leave at start + pts, measured on arrival at a subscriber.
struct PacingTests {
    /// Wide, so a loaded CI machine passes: two 72 ms frames.
    static let tolerance = TestFormat.frameDuration * 2
    /// The spread allowed in chunks' lateness: 4 frames, so a CPU-starved machine passes, while a catch-up burst
    /// after a 1 s pause, or pacing at 2× real time, is far outside it. Unloaded, the spread is a few ms.
    static let jitterTolerance = TestFormat.frameDuration * 4

    @Test("a 3 s file takes 3 s from its first chunk to its last")
    func fileIsPacedAtRealTime() async throws {
        try await EncoderHarness.with { encoder in
            let reply = try await encoder.play("paced", TestAudio.wav(seconds: 3))
            #expect(reply.isOK, "play: \(reply)")
            let recorded = try await encoder.bus.waitForRecording(of: "paced", timeout: .seconds(10))
            expectWellFormed(recorded, stopped: false)
            let span = recorded.arrivalSpan
            print(
                "[measure] 3 s file: first→last chunk \(span.milliseconds) ms on arrival, media \(recorded.mediaSpan.milliseconds) ms, "
                    + "pacing jitter \(recorded.pacingJitter.milliseconds) ms over \(recorded.chunks.count) chunks"
            )
            #expect(abs(span - .seconds(3)) <= Self.tolerance, "first→last chunk took \(span)")
            #expect(
                abs(span - recorded.mediaSpan) <= Self.tolerance,
                "arrival span \(span), media \(recorded.mediaSpan)"
            )
            #expect(recorded.pacingJitter <= Self.jitterTolerance, "pacing jitter \(recorded.pacingJitter)")
        }
    }

    @Test("live PCM fed 3× faster than real time is published at real time")
    func fastLivePCMIsPaced() async throws {
        try await EncoderHarness.with { encoder in
            let opened = try await encoder.request("open", "live", ["sample_rate": 8000, "channels": 1])
            #expect(opened.isOK, "open: \(opened)")
            let clock = ContinuousClock()
            let started = clock.now
            // 2.88 s of audio in 240 ms pieces, one every 80 ms; the first 1.2 s at once, so that neither
            // LAME's 138 ms delay nor a busy machine delaying this feeder makes the stream run dry (and
            // re-anchor) before the feed is ahead; the rest still comes 3× faster than real time.
            let piece = 1920
            for index in 4..<12 {
                let range = index == 4 ? 0..<(5 * piece) : (index * piece)..<((index + 1) * piece)
                let pcm = try await encoder.request(
                    "pcm",
                    "live",
                    payload: TestAudio.pcm(frames: range.count, startFrame: range.lowerBound)
                )
                #expect(pcm.isOK, "pcm \(index): \(pcm)")
                try await clock.sleep(until: started + .milliseconds(80 * (index - 3)))
            }
            let fed = clock.now - started
            let closed = try await encoder.request("close", "live")
            #expect(closed.isOK, "close: \(closed)")
            let recorded = try await encoder.bus.waitForRecording(of: "live", timeout: .seconds(10))
            expectWellFormed(recorded, stopped: false)
            print(
                "[measure] live 3× feed: fed 2.88 s in \(fed.milliseconds) ms; first→last chunk \(recorded.arrivalSpan.milliseconds) ms, "
                    + "media \(recorded.mediaSpan.milliseconds) ms, pacing jitter \(recorded.pacingJitter.milliseconds) ms"
            )
            #expect(recorded.mediaSpan > .milliseconds(2700))
            #expect(abs(recorded.arrivalSpan - recorded.mediaSpan) <= Self.tolerance)
            #expect(recorded.pacingJitter <= Self.jitterTolerance, "pacing jitter \(recorded.pacingJitter)")
        }
    }

    @Test("after an underrun live PCM resumes at real time, without a catch-up burst")
    func underrunResumesWithoutBurst() async throws {
        try await EncoderHarness.with { encoder in
            let opened = try await encoder.request("open", "gappy", ["sample_rate": 8000, "channels": 1])
            #expect(opened.isOK, "open: \(opened)")
            let first = try await encoder.request("pcm", "gappy", payload: TestAudio.pcm(frames: 4000))
            #expect(first.isOK, "pcm: \(first)")
            // What LAME has released of the first 0.5 s plays out in well under a second; then a 1 s pause.
            try await encoder.bus.waitForChunks(of: "gappy", count: 3, timeout: .seconds(5))
            try await Task.sleep(for: .milliseconds(1400))
            let before = encoder.bus.messages(of: "gappy").filter { $0.kind == .chunk }.count
            // Then 1 s at once: it must go out at 72 ms intervals from now, not in a burst to make up the pause.
            let second = try await encoder.request(
                "pcm",
                "gappy",
                payload: TestAudio.pcm(frames: 8000, startFrame: 4000)
            )
            #expect(second.isOK, "pcm: \(second)")
            let closed = try await encoder.request("close", "gappy")
            #expect(closed.isOK, "close: \(closed)")
            let recorded = try await encoder.bus.waitForRecording(of: "gappy", timeout: .seconds(10))
            expectWellFormed(recorded, stopped: false)

            let gaps = recorded.interArrivals
            #expect(gaps.count > before + 6, "chunks after the resume")
            guard gaps.count > before + 6 else { return }
            // gaps[before - 1] is the pause itself; the ones after it are the resumed stream.
            let pause = gaps[before - 1]
            let resumed = Array(gaps[before...])
            print(
                "[measure] underrun: pause \(pause.milliseconds) ms; next inter-arrivals "
                    + "\(resumed.prefix(8).map { Int($0.milliseconds.rounded()) }) ms"
            )
            #expect(pause > .milliseconds(900), "the pause shows on the bus: \(pause)")
            // A burst would put these near 0; absolute deadlines keep them at 72 ms, give or take a late wake-up
            // that the next chunk makes up.
            let firstEight = resumed.prefix(8).reduce(Duration.zero, +)
            #expect(
                abs(firstEight - TestFormat.frameDuration * 8) <= Self.tolerance,
                "the first 8 chunks after the resume took \(firstEight), expected 8 × 72 ms"
            )
            #expect(
                resumed.prefix(8).filter { $0 < .milliseconds(20) }.count <= 1,
                "no burst after the resume: \(resumed.prefix(8).map(\.milliseconds))"
            )
            // And the resumed part keeps to real time from its own first chunk.
            let resumedStream = RecordedStream(id: "gappy", messages: Array(recorded.chunks[before...]))
            #expect(abs(resumedStream.arrivalSpan - resumedStream.mediaSpan) <= Self.tolerance)
        }
    }
}
