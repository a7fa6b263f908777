import Testing
import WavecastCore
import WavecastTestSupport

/// A live stream opened with `"replies": "errors"`: its `pcm` requests are answered only when they fail, and its audio
/// is published all the same.
struct PCMRepliesTests {
    @Test func onlyFailedPCMRequestsAreAnswered() async throws {
        try await EncoderHarness.with { encoder in
            let client = encoder.dealer
            let stream = "quiet-feeder"
            let opened = try await client.request([
                "op": "open", "stream": .string(stream), "sample_rate": 8000, "channels": 1, "replies": "errors",
                "id": 1,
            ])
            #expect(opened.isOK && opened["id"] == 1, "\(opened)")
            // 25 pieces of 20 ms, none answered; then an odd-length piece, answered with its error and its id.
            let piece = TestAudio.pcm(frames: 160, sampleRate: 8000, channels: 1)
            let pieces = (0..<25).map { index in
                IngestClient.frames(
                    ["op": "pcm", "stream": .string(stream), "id": .number(Double(index))],
                    payload: piece
                )
            }
            try await client.send(batch: pieces)
            try await client.send(
                frames: IngestClient.frames(["op": "pcm", "stream": .string(stream), "id": "odd"], payload: [1, 2, 3])
            )
            let refused = try await client.receive()
            #expect(refused.error == "invalid_pcm" && refused["id"] == "odd", "the first reply: \(refused)")
            // close is answered as ever, and every piece was encoded and published.
            let closed = try await client.request(["op": "close", "stream": .string(stream), "id": "c"])
            #expect(closed.isOK && closed["id"] == "c", "\(closed)")
            let published = try await encoder.bus.waitForRecording(of: stream, timeout: .seconds(5))
            // 25 × 160 samples, plus LAME's delay and padding to whole 576-sample frames.
            #expect(published.totalSamples >= 25 * 160, "\(published.totalSamples) samples published")
        }
    }
}
