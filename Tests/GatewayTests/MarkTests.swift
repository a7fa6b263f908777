import Foundation
import Gateway
import Testing
import WavecastCore
import WavecastTestSupport

extension GatewayEndToEndTests {
    /// Playback marks through a real encoder and gateway: a mark reaches the listener right after the audio before
    /// it, its echo travels back up the bus, and the feeder reads who played it; a mark a clear cut is reported
    /// cleared, never played.
    @Suite struct MarkTests {
        static func marks(_ fixture: GatewayFixture, _ stream: String) async throws -> [String: JSONObject] {
            let reply = try await fixture.ingest.request(["op": "marks", "stream": .string(stream)])
            guard reply.isOK, case .array(let marks)? = reply["marks"] else {
                throw HarnessError("marks: \(reply)")
            }
            var byName: [String: JSONObject] = [:]
            for case .object(let mark) in marks {
                if case .string(let name)? = mark["name"] { byName[name] = mark }
            }
            return byName
        }

        @Test func aMarkIsSentAfterItsAudioEchoedAndReportedPlayed() async throws {
            try await GatewayFixture.with { fixture in
                let stream = "bot-marks"
                _ = try await fixture.ingest.request(
                    ["op": "open", "stream": .string(stream), "sample_rate": 8000, "channels": 1]
                )
                let listener = try await fixture.gateway.listen(stream)
                let pcm = TestAudio.pcm(frames: TestAudio.frames(seconds: 1, sampleRate: 8000))
                _ = try await fixture.ingest.request(["op": "pcm", "stream": .string(stream)], payload: pcm)
                let reply = try await fixture.ingest.request(
                    ["op": "mark", "stream": .string(stream), "name": "turn-1 ✓"]
                )
                #expect(reply.isOK && reply["name"] == .string("turn-1 ✓"), "\(reply)")
                // Marks are unique per stream.
                let again = try await fixture.ingest.request(
                    ["op": "mark", "stream": .string(stream), "name": "turn-1 ✓"]
                )
                #expect(again.error == "duplicate_mark", "\(again)")

                let events = try await listener.wait(for: "the mark", timeout: .seconds(5)) {
                    $0.contains { $0.event == "mark" }
                }
                let markIndex = try #require(events.firstIndex { $0.event == "mark" })
                let mark = events[markIndex]
                #expect(mark.object["name"] == .string("turn-1 ✓") && mark.object["stream"] == .string(stream))
                // Every chunk of the second before it came first, and the mark right behind the last one.
                let chunksBefore = events[..<markIndex].filter { $0.event == "chunk" }
                let lastChunk = try #require(chunksBefore.last)
                let gap = Double(mark.arrival.nanoseconds(since: lastChunk.arrival)) / 1e6
                print("[measure] mark after its last chunk: \(gap) ms; \(chunksBefore.count) chunks before it")
                #expect(gap < 40, "the mark came \(gap) ms after the chunk before it")
                // All of it: the encoder flushed LAME for the mark. Before the mark: LAME's delay at the stream's start
                // (138 ms at 8 kHz), the second of audio, and the last frame's padding.
                let audioBefore = chunksBefore.reduce(0.0) { $0 + ($1.duration ?? 0) }
                print("[measure] MP3 before the mark: \(audioBefore) ms for 1000 ms of PCM")
                #expect(audioBefore >= 1000 + 130 && audioBefore < 1000 + 138 + 72 + 1, "\(audioBefore) ms before it")

                // Before any echo it is published, sent to one listener, echoed by none.
                var report = try await Self.marks(fixture, stream)
                let echoedAt = MonotonicTime.now()
                try listener.sendText(#"{"event":"mark","name":"turn-1 ✓"}"#)
                // A second echo, or one of a mark never sent, is an error event, not a count.
                try listener.sendText(#"{"event":"mark","name":"turn-1 ✓"}"#)
                try listener.sendText(#"{"event":"mark","name":"nope"}"#)
                _ = try await listener.wait(for: "two errors", timeout: .seconds(3)) {
                    $0.count { $0.event == "error" } == 2
                }
                let deadline = ContinuousClock.now + .seconds(5)
                repeat {
                    report = try await Self.marks(fixture, stream)
                    if report["turn-1 ✓"]?["state"] == .string("played") { break }
                    try await Task.sleep(for: .milliseconds(20))
                } while ContinuousClock.now < deadline
                let roundTrip = Double(MonotonicTime.now().nanoseconds(since: echoedAt)) / 1e6
                print("[measure] mark echo → reported played to the feeder within \(roundTrip) ms")
                let played = try #require(report["turn-1 ✓"])
                #expect(played["state"] == .string("played"), "\(played)")
                #expect(played["sent"] == .number(1) && played["echoed"] == .number(1), "\(played)")
                #expect(played["first_echo_ms"] != nil && played["position_ms"] != nil, "\(played)")
                #expect(try await fixture.gateway.metric("wavecast_gateway_mark_echoes_total") == 1)
                #expect(try await fixture.gateway.metric("wavecast_gateway_invalid_mark_echoes_total") == 2)

                // The stream goes on after the flush, and what the listener got decodes as one MP3 stream.
                _ = try await fixture.ingest.request(
                    ["op": "pcm", "stream": .string(stream)],
                    payload: TestAudio.pcm(frames: TestAudio.frames(seconds: 0.5, sampleRate: 8000))
                )
                _ = try await fixture.ingest.request(["op": "close", "stream": .string(stream)])
                let all = try await listener.waitForEnd(timeout: .seconds(5))
                let mp3 = all.filter { $0.event == "chunk" }.flatMap { $0.payload ?? [] }
                let decoded = try await FFmpeg.decode(mp3: mp3)
                let seconds = Double(decoded.count) / 8000
                // 1.5 s of audio, LAME's delay twice (the flush started a new encoder) and two paddings.
                #expect(seconds > 1.5 && seconds < 1.5 + 2 * 0.138 + 2 * 0.072 + 0.01, "it decodes to \(seconds) s")
                await listener.stop()
            }
        }

        @Test func aMarkCutByAClearIsReportedClearedNeverPlayed() async throws {
            try await GatewayFixture.with { fixture in
                let stream = "bot-cut"
                _ = try await fixture.ingest.request(
                    ["op": "open", "stream": .string(stream), "sample_rate": 8000, "channels": 1]
                )
                let listener = try await fixture.gateway.listen(stream)
                // A mark the listener is sent but does not echo before the clear, then one still queued.
                let early = TestAudio.pcm(frames: TestAudio.frames(seconds: 0.3, sampleRate: 8000))
                _ = try await fixture.ingest.request(["op": "pcm", "stream": .string(stream)], payload: early)
                _ = try await fixture.ingest.request(["op": "mark", "stream": .string(stream), "name": "sent-early"])
                let pcm = TestAudio.pcm(frames: TestAudio.frames(seconds: 3, sampleRate: 8000))
                _ = try await fixture.ingest.request(["op": "pcm", "stream": .string(stream)], payload: pcm)
                _ = try await fixture.ingest.request(["op": "mark", "stream": .string(stream), "name": "end-of-3s"])
                _ = try await listener.wait(for: "the first mark and audio", timeout: .seconds(5)) {
                    $0.contains { $0.event == "mark" } && $0.count { $0.event == "chunk" } >= 10
                }
                _ = try await fixture.ingest.request(["op": "clear", "stream": .string(stream)])
                _ = try await listener.wait(for: "the clear", timeout: .seconds(3)) {
                    $0.contains { $0.event == "clear" }
                }
                // After the clear the stream goes on; a mark behind new audio is reached as usual.
                _ = try await fixture.ingest.request(
                    ["op": "pcm", "stream": .string(stream)],
                    payload: TestAudio.pcm(frames: TestAudio.frames(seconds: 0.3, sampleRate: 8000))
                )
                _ = try await fixture.ingest.request(["op": "mark", "stream": .string(stream), "name": "after"])
                _ = try await listener.wait(for: "the second mark", timeout: .seconds(5)) {
                    $0.contains { $0.event == "mark" && $0.object["name"] == .string("after") }
                }
                #expect(!listener.events.contains { $0.event == "mark" && $0.object["name"] == .string("end-of-3s") })
                // Echoing the cut mark is refused: it was never sent here.
                try listener.sendText(#"{"event":"mark","name":"end-of-3s"}"#)
                _ = try await listener.wait(for: "the error", timeout: .seconds(3)) {
                    $0.contains { $0.event == "error" }
                }
                // Echoing the mark it was sent before the clear is refused too: the clear cut its audio.
                try listener.sendText(#"{"event":"mark","name":"sent-early"}"#)
                _ = try await listener.wait(for: "two errors", timeout: .seconds(3)) {
                    $0.count { $0.event == "error" } == 2
                }
                var report = try await Self.marks(fixture, stream)
                let deadline = ContinuousClock.now + .seconds(3)
                while report["sent-early"]?["state"] != .string("cleared") && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(20))
                    report = try await Self.marks(fixture, stream)
                }
                #expect(report["sent-early"]?["state"] == .string("cleared"), "\(report)")
                #expect(report["sent-early"]?["sent"] == .number(1) && report["sent-early"]?["echoed"] == .number(0))
                #expect(report["end-of-3s"]?["state"] == .string("cleared"), "\(report)")
                #expect(report["end-of-3s"]?["echoed"] == .number(0), "\(report)")
                #expect(report["after"]?["state"] == .string("published"), "\(report)")
                // A mark for a stream that is not playing is refused by name.
                let unknown = try await fixture.ingest.request(["op": "mark", "stream": "nobody", "name": "x"])
                #expect(unknown.error == "unknown_stream", "\(unknown)")
                await listener.stop()
            }
        }
    }
}

extension GatewayEndToEndTests.MarkTests {
    /// The README's voice-bot loop, run by Python as written against a real encoder, while a listener echoes every
    /// mark it gets: the first turn is reported played, the second, cut by the clear, cleared.
    @Test func readmeVoiceBotLoop() async throws {
        try await GatewayFixture.with { fixture in
            let listener = try await fixture.gateway.listen("call-1")
            let snippet = try RepositoryFiles.snippet(marker: "voice-bot-snippet")
                .replacingOccurrences(of: "tcp://127.0.0.1:5555", with: fixture.encoder.ingest)
            let echoes = Task {
                var echoed: Set<String> = []
                let deadline = ContinuousClock.now + .seconds(20)
                while !Task.isCancelled && ContinuousClock.now < deadline {
                    for event in listener.events where event.event == "mark" {
                        guard case .string(let name)? = event.object["name"], echoed.insert(name).inserted else {
                            continue
                        }
                        try listener.sendText(#"{"event":"mark","name":"\#(name)"}"#)
                    }
                    try? await Task.sleep(for: .milliseconds(10))
                }
                return echoed
            }
            let result = try await blocking {
                try ExternalTool.run("python3", ["-c", snippet], timeout: .seconds(30))
            }
            echoes.cancel()
            #expect(result.status == 0, "python3 failed: \(result.stderr)")
            #expect(
                result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                    == "{'turn-0': 'played', 'turn-1': 'cleared'}",
                "it printed: \(result.stdout)"
            )
            #expect(try await echoes.value == ["turn-0"])
            #expect(listener.events.contains { $0.event == "clear" })
            await listener.stop()
        }
    }
}
