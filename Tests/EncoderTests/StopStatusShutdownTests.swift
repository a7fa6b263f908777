import Encoder
import Testing
import WavecastCore
import WavecastTestSupport

/// `stop`, `status`, and what the encoder publishes when it is cancelled.
struct StopStatusShutdownTests {
    @Test("stop ends a playing stream at once, with the stopped flag")
    func stopEndsAtOnce() async throws {
        try await EncoderHarness.with { encoder in
            let played = try await encoder.play("stoppable", TestAudio.wav(seconds: 3))
            #expect(played.isOK, "play: \(played)")
            try await encoder.bus.waitForChunks(of: "stoppable", count: 5, timeout: .seconds(5))
            let clock = ContinuousClock()
            let asked = clock.now
            let stopped = try await encoder.request("stop", "stoppable")
            #expect(stopped.isOK && stopped["stopped"] == .bool(true), "stop: \(stopped)")
            let recorded = try await encoder.bus.waitForRecording(of: "stoppable", timeout: .seconds(5))
            let took = clock.now - asked
            print("[measure] stop → end on the bus: \(took.milliseconds) ms")
            // Wide: a busy machine delays the reply, not the stop (the chunk count below shows it).
            #expect(took < .seconds(3), "end came \(took) after stop")
            expectWellFormed(recorded, stopped: true)
            #expect(recorded.chunks.count < 40, "stopped before the 3 s file's 44 chunks")
            // Nothing more for the stream after its end.
            try await Task.sleep(for: .milliseconds(300))
            #expect(encoder.bus.messages(of: "stoppable").count == recorded.messages.count)
            let status = try await encoder.status()
            #expect(status.array("streams") == [], "\(status)")
            // Stopping a stream nobody knows is not an error.
            let unknown = try await encoder.request("stop", "nobody")
            #expect(unknown.isOK && unknown["stopped"] == .bool(false), "\(unknown)")
        }
    }

    @Test("a play in flight when its stream is stopped is answered 'stopped' or plays nothing after the stop")
    func stopRacesPlayInFlight() async throws {
        try await EncoderHarness.with { encoder in
            // A large file takes a while to encode, so the stop usually overtakes it.
            let wav = TestAudio.wav(seconds: 3, sampleRate: 48000, channels: 2)
            try await encoder.dealer.send(
                frames: IngestClient.frames(["op": "play", "stream": "racy", "id": "play"], payload: wav)
            )
            try await encoder.dealer.send(frames: IngestClient.frames(["op": "stop", "stream": "racy", "id": "stop"]))
            var replies: [String: IngestResponse] = [:]
            for _ in 0..<2 {
                let reply = try await encoder.dealer.receive()
                replies[reply.string("id") ?? "?"] = reply
            }
            let play = try #require(replies["play"])
            let stop = try #require(replies["stop"])
            #expect(stop.isOK, "\(stop)")
            if play.isOK {
                // The file was queued before the stop: the stop ended it.
                let recorded = try await encoder.bus.waitForRecording(of: "racy", timeout: .seconds(2))
                expectWellFormed(recorded, stopped: true)
            } else {
                #expect(play.error == "stopped", "\(play)")
                #expect(play.message.contains("'racy'"), "\(play.message)")
                try await Task.sleep(for: .milliseconds(300))
                #expect(encoder.bus.messages(of: "racy").isEmpty, "a stopped play publishes nothing")
            }
            print("[measure] play racing stop: play reply \(play.isOK ? "ok (queued first)" : play.error ?? "?")")
            let status = try await encoder.status()
            #expect(status.array("streams") == [], "\(status)")
        }
    }

    @Test("status lists streams with their position and queued time")
    func statusListsStreams() async throws {
        try await EncoderHarness.with { encoder in
            let played = try await encoder.play("listed", TestAudio.wav(seconds: 6))
            #expect(played.isOK, "play: \(played)")
            let opened = try await encoder.request("open", "live", ["sample_rate": 8000, "channels": 1])
            #expect(opened.isOK, "open: \(opened)")
            try await encoder.bus.waitForChunks(of: "listed", count: 7, timeout: .seconds(5))
            let publishedBefore = encoder.bus.messages(of: "listed").filter { $0.kind == .chunk }.count
            let status = try await encoder.status()
            #expect(status.isOK, "\(status)")
            let streams = (status.array("streams") ?? []).compactMap { value -> JSONObject? in
                guard case .object(let object) = value else { return nil }
                return object
            }
            #expect(streams.map { $0["stream"] } == ["listed", "live"], "sorted by id: \(status)")
            let listed = try #require(streams.first)
            let published = encoder.bus.messages(of: "listed").filter { $0.kind == .chunk }.count
            let position = try #require(listed["position_ms"]?.integerValue)
            let queued = try #require(listed["queued_ms"]?.integerValue)
            let total = try #require(played.integer("duration_ms"))
            #expect(listed["state"] == "playing")
            #expect(listed["live"] == .bool(false))
            #expect(listed["loop"] == .bool(false))
            // The position lies between what was published before the request and after the reply.
            #expect(
                (publishedBefore - 1) * 72 <= position && position <= (published + 1) * 72,
                "position \(position) ms; \(publishedBefore)…\(published) chunks published around the request"
            )
            #expect(queued > 0)
            #expect(abs(position + queued - total) <= 2, "position \(position) + queued \(queued) = \(total)")
            #expect(listed["sequence"]?.integerValue.map { publishedBefore - 1 <= $0 && $0 <= published + 1 } == true)
            let live = try #require(streams.last)
            #expect(live["live"] == .bool(true))
            #expect(live["state"] == "waiting")
            #expect(live["queued_ms"] == 0)

            let one = try await encoder.status("listed")
            #expect(one.array("streams")?.count == 1, "\(one)")
            let none = try await encoder.status("unknown")
            #expect(none.array("streams") == [], "\(none)")
        }
    }

    @Test("cancelling the service publishes end (stopped) for a playing stream and returns promptly")
    func cancellationEndsStreams() async throws {
        try await EncoderHarness.with { encoder in
            let played = try await encoder.play("cut", TestAudio.wav(seconds: 3))
            #expect(played.isOK, "play: \(played)")
            let opened = try await encoder.request("open", "open-live", ["sample_rate": 8000, "channels": 1])
            #expect(opened.isOK, "open: \(opened)")
            let pcm = try await encoder.request("pcm", "open-live", payload: TestAudio.pcm(frames: 8000))
            #expect(pcm.isOK, "pcm: \(pcm)")
            try await encoder.bus.waitForChunks(of: "cut", count: 3, timeout: .seconds(5))
            try await encoder.bus.waitForChunks(of: "open-live", count: 1, timeout: .seconds(5))
            let took = try await encoder.stopService()
            print("[measure] cancel → service returned in \(took.milliseconds) ms")
            #expect(took < .seconds(5), "the service took \(took) to return")
            for stream in ["cut", "open-live"] {
                let recorded = try await encoder.bus.waitForRecording(of: stream, timeout: .seconds(2))
                expectWellFormed(recorded, stopped: true)
            }
        }
    }

    @Test("a graceful shutdown of the service group ends every stream (stopped) and returns promptly")
    func gracefulShutdownEndsStreams() async throws {
        try await EncoderHarness.with(withHealthServer: true, inServiceGroup: true) { encoder in
            let played = try await encoder.play("graceful", TestAudio.wav(seconds: 3))
            #expect(played.isOK, "play: \(played)")
            try await encoder.bus.waitForChunks(of: "graceful", count: 3, timeout: .seconds(5))
            let took = try await encoder.stopService()
            print("[measure] graceful shutdown → service group returned in \(took.milliseconds) ms")
            #expect(took < .seconds(5), "the service group took \(took) to return")
            let recorded = try await encoder.bus.waitForRecording(of: "graceful", timeout: .seconds(2))
            expectWellFormed(recorded, stopped: true)
        }
    }

    @Test("maxStreams holds when plays for new streams arrive together")
    func streamLimitHoldsForPipelinedPlays() async throws {
        let twoStreams: (inout EncoderConfiguration) -> Void = { $0.maxStreams = 2 }
        try await EncoderHarness.with(twoStreams) { encoder in
            // Files that take a while to encode, so no result comes back between the requests.
            let wav = TestAudio.wav(seconds: 3, sampleRate: 48000, channels: 2)
            let batch = (0..<4).map { index in
                IngestClient.frames(
                    ["op": "play", "stream": .string("burst-\(index)"), "id": .number(Double(index))],
                    payload: wav
                )
            }
            try await encoder.dealer.send(batch: batch)
            var accepted: [Int] = []
            var refused: [Int] = []
            for _ in 0..<4 {
                let reply = try await encoder.dealer.receive()
                let id = try #require(reply.integer("id"))
                if reply.isOK {
                    accepted.append(id)
                } else {
                    #expect(reply.error == "too_many_streams", "\(reply)")
                    refused.append(id)
                }
            }
            #expect(accepted.count == 2, "accepted \(accepted.sorted()), refused \(refused.sorted())")
            let status = try await encoder.status()
            #expect((status.array("streams")?.count ?? 0) <= 2, "\(status)")
            // Plays for a stream already accepted are queued on it, not refused.
            let queued = try await encoder.play("burst-\(accepted.first ?? 0)", wav)
            #expect(queued.isOK, "\(queued)")
        }
    }
}
