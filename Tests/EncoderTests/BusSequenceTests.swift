import Encoder
import Testing
import WavecastCore
import WavecastTestSupport

/// What a played file looks like on the bus: numbering, timestamps, start/end, sync chunks.
struct BusSequenceTests {
    @Test("a played file is start, chunks numbered from 0 with running timestamps, then end")
    func playedFileIsWellFormed() async throws {
        try await EncoderHarness.with { encoder in
            let reply = try await encoder.play("numbered", TestAudio.wav(seconds: 0.8))
            #expect(reply.isOK, "play: \(reply)")
            #expect(reply.string("op") == "play")
            #expect(reply.string("stream") == "numbered")
            #expect(reply["loop"] == .bool(false))
            #expect(reply.integer("starts_in_ms") == 0)
            let recorded = try await encoder.bus.waitForRecording(of: "numbered", timeout: .seconds(10))
            expectWellFormed(recorded, stopped: false)
            #expect(reply.integer("chunks") == recorded.chunks.count)
            // 0.8 s plus LAME's 1105-sample delay, rounded up to whole 576-sample frames.
            #expect(recorded.chunks.count == (6400 + WAVVariantTests.lameDelaySamples + 575) / 576)
            #expect(encoder.bus.decodingFailures.isEmpty, "\(encoder.bus.decodingFailures)")
        }
    }

    @Test("heartbeats come every heartbeat interval with an empty stream id and a rising counter")
    func heartbeats() async throws {
        try await EncoderHarness.with { encoder in
            let beats = try await encoder.bus.wait(for: "5 heartbeats", timeout: .seconds(5)) { messages in
                messages.filter { $0.kind == .heartbeat }.count >= 5
            }
            .filter { $0.kind == .heartbeat }
            for (previous, next) in zip(beats, beats.dropFirst()) {
                #expect(next.message.streamID.isEmpty)
                #expect(next.header.sequence == previous.header.sequence + 1)
                let interval = Duration.nanoseconds(next.arrival.nanoseconds(since: previous.arrival))
                // Wide: a heartbeat a little late on a busy machine is fine; a missing or doubled one is not.
                #expect(
                    interval > .milliseconds(20) && interval < .seconds(1),
                    "heartbeat interval \(interval), configured 100 ms"
                )
            }
        }
    }

    @Test("chunks of several frames when framesPerChunk is 3")
    func severalFramesPerChunk() async throws {
        let threeFrames: (inout EncoderConfiguration) -> Void = { $0.framesPerChunk = 3 }
        try await EncoderHarness.with(threeFrames) { encoder in
            let reply = try await encoder.play("triple", TestAudio.wav(seconds: 0.6))
            #expect(reply.isOK, "play: \(reply)")
            let recorded = try await encoder.bus.waitForRecording(of: "triple", timeout: .seconds(10))
            expectWellFormed(recorded, stopped: false, framesPerChunk: 3)
            let frames = recorded.chunks.map { Int($0.header.frameCount) }
            #expect(frames.dropLast().allSatisfy { $0 == 3 }, "every chunk but the last holds 3 frames: \(frames)")
            #expect(reply.integer("frames") == frames.reduce(0, +))
            #expect(reply.integer("chunks") == frames.count)
        }
    }
}
