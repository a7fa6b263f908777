import Foundation
import Testing
import WavecastCore
import WavecastTestSupport

/// `/metrics` and `/healthz`, from a ``HealthServer`` running beside the encoder on the same metrics.
struct MetricsTests {
    /// The value of the sample line that starts with `name` (with its labels), if any.
    static func value(of name: String, in text: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.dropFirst(name.count + 1).split(separator: " ").first ?? "")
        }
        return nil
    }

    @Test("/metrics counts what the encoder did, and /healthz says ok")
    func metricsMove() async throws {
        try await EncoderHarness.with(withHealthServer: true) { encoder in
            let port = try #require(encoder.httpPort)
            let health = try await RawWebSocket.get(port: port, path: "/healthz")
            #expect(health.status == 200)
            #expect(health.body == "ok\n")
            let before = try await RawWebSocket.get(port: port, path: "/metrics")
            #expect(before.status == 200)
            #expect(
                (Self.value(of: "wavecast_encoder_chunks_published_total", in: before.body) ?? -1) == 0,
                "\(before.body)"
            )

            let played = try await encoder.play("counted", TestAudio.wav(seconds: 0.5))
            #expect(played.isOK, "play: \(played)")
            let refused = try await encoder.request("dance", "counted")
            #expect(refused.error == "unknown_op")
            let notJSON = try await encoder.dealer.request(frames: [Array("nope".utf8)])
            #expect(notJSON.error == "invalid_json")
            let recorded = try await encoder.bus.waitForRecording(of: "counted", timeout: .seconds(5))
            let chunks = Double(recorded.chunks.count)

            let after = try await RawWebSocket.get(port: port, path: "/metrics")
            let text = after.body
            #expect(after.status == 200)
            #expect(Self.value(of: "wavecast_encoder_chunks_published_total", in: text) == chunks, "\(text)")
            #expect(Self.value(of: "wavecast_encoder_frames_published_total", in: text) == chunks)
            #expect(Self.value(of: "wavecast_encoder_mp3_bytes_published_total", in: text) == chunks * 72)
            #expect((Self.value(of: "wavecast_encoder_heartbeats_total", in: text) ?? 0) >= 1)
            #expect(Self.value(of: "wavecast_encoder_streams", in: text) == 0, "the stream has ended")
            #expect(Self.value(of: #"wavecast_encoder_ingest_requests_total{op="play"}"#, in: text) == 1, "\(text)")
            #expect(Self.value(of: #"wavecast_encoder_ingest_requests_total{op="invalid"}"#, in: text) == 2)
            #expect(Self.value(of: #"wavecast_encoder_ingest_errors_total{code="unknown_op"}"#, in: text) == 1)
            #expect(Self.value(of: #"wavecast_encoder_ingest_errors_total{code="invalid_json"}"#, in: text) == 1)
            let encoded = Self.value(of: "wavecast_encoder_encoded_audio_seconds_total", in: text) ?? 0
            #expect(abs(encoded - 0.5) < 0.001, "encoded seconds \(encoded)")
            #expect(
                Self.value(of: "wavecast_encoder_publication_lateness_seconds_count", in: text) == chunks,
                "\(text)"
            )

            let missing = try await RawWebSocket.get(port: port, path: "/nothing")
            #expect(missing.status == 404)
        }
    }

    @Test("the streams gauge counts a playing stream")
    func streamsGauge() async throws {
        try await EncoderHarness.with(withHealthServer: true) { encoder in
            let port = try #require(encoder.httpPort)
            let played = try await encoder.play("gauged", TestAudio.wav(seconds: 4))
            #expect(played.isOK, "play: \(played)")
            try await encoder.bus.waitForChunks(of: "gauged", count: 2, timeout: .seconds(5))
            let during = try await RawWebSocket.get(port: port, path: "/metrics")
            #expect(Self.value(of: "wavecast_encoder_streams", in: during.body) == 1, "\(during.body)")
        }
    }
}
