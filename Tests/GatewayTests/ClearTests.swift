import Gateway
import Testing
import WavecastCore
import WavecastTestSupport

extension GatewayEndToEndTests {
    /// Barge-in through a real encoder and gateway: after `clear`, listeners get `{"event":"clear"}` at once and
    /// none of the audio that was still waiting, and the stream goes on with what is fed next.
    @Suite struct ClearTests {
        @Test func clearCutsTheAudioEverywhereAtOnceAndTheLiveStreamGoesOn() async throws {
            try await GatewayFixture.with { fixture in
                let stream = "barge-in"
                _ = try await fixture.ingest.request(
                    ["op": "open", "stream": .string(stream), "sample_rate": 8000, "channels": 1]
                )
                // Listening first: joined after the PCM, a listener held up for its length would find the stream over.
                let listener = try await fixture.gateway.listen(stream)
                let seed = try await fixture.gateway.listen(stream, query: "?compat=seed")
                // Eight seconds of speech-length PCM queued at once, as a TTS engine would.
                let pcm = TestAudio.pcm(frames: TestAudio.frames(seconds: 8, sampleRate: 8000))
                _ = try await fixture.ingest.request(["op": "pcm", "stream": .string(stream)], payload: pcm)
                _ = try await listener.wait(for: "1 s of audio", timeout: .seconds(10)) {
                    $0.count { $0.event == "chunk" } >= 14
                }

                let asked = MonotonicTime.now()
                let reply = try await fixture.ingest.request(["op": "clear", "stream": .string(stream)])
                #expect(reply.isOK && reply["cleared"] == .bool(true), "\(reply)")
                let events = try await listener.wait(for: "the clear", timeout: .seconds(3)) {
                    $0.contains { $0.event == "clear" }
                }
                let clearIndex = try #require(events.firstIndex { $0.event == "clear" })
                let clearArrival = events[clearIndex].arrival
                let lastBefore = events[..<clearIndex].last { $0.event == "chunk" }
                try await Task.sleep(for: .milliseconds(700))
                let after = listener.events.dropFirst(clearIndex + 1).filter { $0.event == "chunk" }
                #expect(after.isEmpty, "\(after.count) chunks of the cut audio arrived after the clear")
                let toClear = Double(clearArrival.nanoseconds(since: asked)) / 1e6
                let lastChunk = Double((lastBefore?.arrival ?? asked).nanoseconds(since: asked)) / 1e6
                print(
                    "[measure] clear request → clear event at the listener: \(toClear) ms; last chunk written \(lastChunk) ms after the request"
                )
                // One chunk is 72 ms; a loaded machine gets room on top.
                #expect(lastChunk < 72 + 150, "a chunk came \(lastChunk) ms after the clear was asked for")
                #expect(try await fixture.gateway.metric("wavecast_gateway_clears_total") == 1)
                // Seed clients get no clear event (their shape has only chunks), and no cut audio either.
                let seedChunks = seed.events.count { $0.event == "chunk" }
                try await Task.sleep(for: .milliseconds(300))
                #expect(seed.events.count { $0.event == "chunk" } == seedChunks)

                // The stream stays open: the next PCM is heard at once, numbered on.
                let lastSequence = lastBefore?.sequence ?? 0
                _ = try await fixture.ingest.request(
                    ["op": "pcm", "stream": .string(stream)],
                    payload: TestAudio.pcm(frames: TestAudio.frames(seconds: 0.5, sampleRate: 8000))
                )
                let resumed = try await listener.wait(for: "audio after the clear", timeout: .seconds(3)) {
                    $0.dropFirst(clearIndex + 1).contains { $0.event == "chunk" }
                }
                let next = try #require(resumed.dropFirst(clearIndex + 1).first { $0.event == "chunk" })
                #expect((next.sequence ?? 0) > lastSequence)
                await listener.stop()
                await seed.stop()
            }
        }
    }
}
