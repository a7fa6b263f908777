import Testing
import WavecastCore
import WavecastTestSupport

/// Several streams, looping, and files queued on one stream.
struct StreamQueueTests {
    @Test("two streams at once are each paced and gap-free")
    func twoStreamsDoNotDisturbEachOther() async throws {
        try await EncoderHarness.with { encoder in
            let wav = TestAudio.wav(seconds: 1.5, sampleRate: 16000)
            // Pipelined on the DEALER, so both are accepted at once.
            try await encoder.dealer.send(
                frames: IngestClient.frames(["op": "play", "stream": "alpha", "id": 1], payload: wav)
            )
            try await encoder.dealer.send(
                frames: IngestClient.frames(["op": "play", "stream": "beta", "id": 2], payload: wav)
            )
            let replies = [try await encoder.dealer.receive(), try await encoder.dealer.receive()]
            #expect(replies.allSatisfy { $0.isOK }, "\(replies)")
            #expect(Set(replies.compactMap { $0.integer("id") }) == [1, 2])
            let alpha = try await encoder.bus.waitForRecording(of: "alpha", timeout: .seconds(10))
            let beta = try await encoder.bus.waitForRecording(of: "beta", timeout: .seconds(10))
            for recorded in [alpha, beta] {
                expectWellFormed(recorded, stopped: false)
                print(
                    "[measure] two streams, '\(recorded.id)': first→last \(recorded.arrivalSpan.milliseconds) ms, "
                        + "media \(recorded.mediaSpan.milliseconds) ms, pacing jitter \(recorded.pacingJitter.milliseconds) ms"
                )
                #expect(abs(recorded.arrivalSpan - recorded.mediaSpan) <= PacingTests.tolerance)
                #expect(recorded.pacingJitter <= PacingTests.jitterTolerance, "pacing jitter \(recorded.pacingJitter)")
            }
            #expect(alpha.chunks.map(\.message.payload) == beta.chunks.map(\.message.payload), "same file, same MP3")
        }
    }

    @Test("loop: true repeats the file until stop, then ends with the stopped flag")
    func loopRepeatsUntilStop() async throws {
        try await EncoderHarness.with { encoder in
            let reply = try await encoder.play("looped", TestAudio.wav(seconds: 0.3), loop: true)
            #expect(reply.isOK, "play: \(reply)")
            #expect(reply["loop"] == .bool(true))
            let perPass = try #require(reply.integer("chunks"))
            try await encoder.bus.waitForChunks(of: "looped", count: 2 * perPass + 2, timeout: .seconds(10))
            let status = try await encoder.status("looped")
            let entry = status.array("streams")?.first
            guard case .object(let object)? = entry else {
                Issue.record("status lists the looping stream: \(status)")
                return
            }
            #expect(object["loop"] == .bool(true))
            let stopped = try await encoder.request("stop", "looped")
            #expect(stopped.isOK && stopped["stopped"] == .bool(true), "stop: \(stopped)")
            let recorded = try await encoder.bus.waitForRecording(of: "looped", timeout: .seconds(2))
            expectWellFormed(recorded, stopped: true)
            let payloads = recorded.chunks.map(\.message.payload)
            #expect(payloads.count > 2 * perPass, "more chunks than two passes")
            for index in perPass..<payloads.count {
                #expect(payloads[index] == payloads[index % perPass], "chunk \(index) repeats chunk \(index % perPass)")
            }
        }
    }

    @Test("a play queued behind a playing stream continues it: same start, sequence carries on")
    func playIsQueuedBehindPlayingStream() async throws {
        try await EncoderHarness.with { encoder in
            let first = try await encoder.play("queued", TestAudio.wav(seconds: 0.6))
            #expect(first.isOK, "first play: \(first)")
            let second = try await encoder.play("queued", TestAudio.wav(seconds: 0.4, sampleRate: 11025))
            #expect(second.isOK, "second play: \(second)")
            let firstDuration = try #require(first.integer("duration_ms"))
            let startsIn = try #require(second.integer("starts_in_ms"))
            #expect(startsIn > 0 && startsIn <= firstDuration, "second starts in \(startsIn) ms of \(firstDuration)")
            let recorded = try await encoder.bus.waitForRecording(of: "queued", timeout: .seconds(10))
            expectWellFormed(recorded, stopped: false)
            let firstChunks = try #require(first.integer("chunks"))
            let secondChunks = try #require(second.integer("chunks"))
            #expect(recorded.chunks.count == firstChunks + secondChunks)
            #expect(
                recorded.pacingJitter <= PacingTests.jitterTolerance,
                "no gap between the files: \(recorded.pacingJitter)"
            )
            let widest = recorded.interArrivals.max() ?? .zero
            #expect(widest < .milliseconds(72 + 40), "widest inter-arrival \(widest)")
        }
    }

    @Test("a play after a stream has ended starts a new stream at sequence 0")
    func playAfterEndStartsAgain() async throws {
        try await EncoderHarness.with { encoder in
            let wav = TestAudio.wav(seconds: 0.3)
            let firstPlay = try await encoder.play("again", wav)
            #expect(firstPlay.isOK, "first play: \(firstPlay)")
            let first = try await encoder.bus.waitForRecording(of: "again", timeout: .seconds(5))
            let firstCount = first.messages.count
            let secondPlay = try await encoder.play("again", wav)
            #expect(secondPlay.isOK, "second play: \(secondPlay)")
            let all = try await encoder.bus.wait(for: "a second end of 'again'", timeout: .seconds(5)) { messages in
                messages.filter { $0.message.streamID == "again" && $0.kind == .end }.count == 2
            }
            let second = RecordedStream(
                id: "again",
                messages: Array(all.filter { $0.message.streamID == "again" }.dropFirst(firstCount))
            )
            expectWellFormed(first, stopped: false)
            expectWellFormed(second, stopped: false)
        }
    }
}
