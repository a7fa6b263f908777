import Foundation
import Testing
import WavecastCore
import WavecastTestSupport

/// `?compat=seed`, the plain HTTP routes, and what clients see when the gateway shuts down.
@Suite struct RoutesAndCompatTests {
    @Test func compatSeedSendsOnlyChunksInThePrototypesExactShape() async throws {
        try await GatewayFixture.with { fixture in
            let stream = "seed"
            let seed = try await fixture.gateway.listen(stream, query: "?compat=seed")
            let normal = try await fixture.gateway.listen(stream)
            try await fixture.ingest.play(stream, TestAudio.wav(seconds: 1))
            let published = try await fixture.bus.waitForEnd(of: stream, timeout: .seconds(10)).chunks
            _ = try await normal.waitForEnd(timeout: .seconds(5))
            try await seed.wait(for: "every chunk", timeout: .seconds(2)) { $0.count >= published.count }
            try await Task.sleep(for: .milliseconds(100))

            let shape = try Regex(
                #"^\{"event":"chunk","media":\{"payload":"([A-Za-z0-9+/]*={0,2})","is_sync":(true|false)\}\}$"#
            )
            let events = seed.events
            #expect(events.count == published.count, "chunks only: no start, no end")
            for (event, message) in zip(events, published) {
                #expect(event.text.wholeMatch(of: shape) != nil, "\(event.text)")
                #expect(Set(event.object.keys) == ["event", "media"])
                #expect(Set(event.media?.keys ?? []) == ["payload", "is_sync"])
                #expect(event.payload == message.payload)
                #expect(event.isSync == message.header.isSync)
            }
            // Every frame is a text frame.
            #expect(seed.received.allSatisfy { $0.frame.opcode == 0x1 && $0.frame.fin })
            await seed.stop()
            await normal.stop()
        }
    }

    @Test func streamsListsLiveStreamsWithListenerCounts() async throws {
        try await GatewayFixture.with { fixture in
            let stream = "listed"
            let listeners = [
                try await fixture.gateway.listen(stream),
                try await fixture.gateway.listen(stream, query: "?compat=seed"),
                try await fixture.gateway.listen(stream),
            ]
            try await fixture.ingest.play(stream, TestAudio.wav(seconds: 3))
            try await listeners[0].wait(for: "5 chunks", timeout: .seconds(5)) {
                $0.filter { $0.event == "chunk" }.count >= 5
            }

            // The figures reach `/streams` a few times a second: ask until they show the 5 chunks (for up to 5 s).
            var response = try await fixture.gateway.get("/streams")
            for _ in 0..<50 {
                let sequence = try #require(response.body.firstRange(of: #""sequence":"#)).upperBound
                if let last = Int(response.body[sequence...].prefix { $0.isNumber }), last >= 4 { break }
                try await Task.sleep(for: .milliseconds(100))
                response = try await fixture.gateway.get("/streams")
            }
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == "application/json")
            guard case .object(let body) = try JSONValue.parse(Array(response.body.utf8)),
                case .array(let streams) = body["streams"],
                case .object(let entry) = streams.first(where: {
                    if case .object(let object) = $0 { return object["stream"] == .string(stream) }
                    return false
                })
            else {
                Issue.record("no \(stream) in /streams: \(response.body)")
                return
            }
            #expect(entry["listeners"] == .number(3))
            guard case .object(let format) = entry["format"] else {
                Issue.record("no format in \(response.body)")
                return
            }
            #expect(Set(format.keys) == ["codec", "sample_rate", "channels", "bitrate"])
            #expect(format["codec"] == "mp3")
            #expect(format["sample_rate"] == 8000)
            #expect(format["channels"] == 1)
            #expect(format["bitrate"] == 8)
            #expect((entry["position_ms"]?.integerValue ?? 0) >= 5 * 72)
            #expect((entry["sequence"]?.integerValue ?? -1) >= 4)
            #expect(entry["gaps"] == .number(0))

            // Once the stream ends it is no longer listed.
            _ = try await fixture.bus.waitForEnd(of: stream, timeout: .seconds(10)).chunks
            _ = try await listeners[0].waitForEnd(timeout: .seconds(5))
            let after = try await fixture.gateway.get("/streams")
            #expect(!after.body.contains(#""stream":"\#(stream)""#), "\(after.body)")
            for listener in listeners { await listener.stop() }
        }
    }

    @Test func plainRoutes() async throws {
        try await GatewayFixture.with { fixture in
            let health = try await fixture.gateway.get("/healthz")
            #expect(health.status == 200)
            #expect(health.body == "ok\n")
            #expect(try await fixture.gateway.get("/readyz").status == 200)
            #expect(try await fixture.gateway.get("/nope").status == 404)
            let metrics = try await fixture.gateway.get("/metrics")
            #expect(metrics.status == 200)
            #expect(metrics.header("Content-Type")?.hasPrefix("text/plain") == true)
            for name in [
                "wavecast_gateway_connections", "wavecast_gateway_messages_sent_total",
                "wavecast_gateway_bytes_sent_total", "wavecast_gateway_slow_client_closes_total",
                "wavecast_gateway_sequence_gaps_total", "wavecast_gateway_send_lateness_seconds_bucket",
            ] {
                #expect(metrics.body.contains(name), "\(name) missing from /metrics")
            }
            #expect(
                (try await fixture.gateway.metric("wavecast_gateway_bus_messages_total") ?? 0) > 0,
                "heartbeats count"
            )
        }
    }

    @Test func gracefulShutdownClosesClientsWith1001() async throws {
        try await GatewayFixture.with { fixture in
            let stream = "shutdown"
            let idle = try await fixture.gateway.listen("nobody-plays-this")
            let playing = try await fixture.gateway.listen(stream)
            try await fixture.ingest.play(stream, TestAudio.wav(seconds: 5))
            try await playing.wait(for: "a chunk", timeout: .seconds(5)) { $0.contains { $0.event == "chunk" } }

            let took = try await fixture.gateway.stop()
            #expect(took < .seconds(5), "graceful shutdown took \(took)")
            for listener in [idle, playing] {
                let close = try await listener.waitUntilClosed(timeout: .seconds(3))
                #expect(close?.closeCode == 1001)
                #expect(close?.closeReason.contains("reconnect") == true)
            }
            // The port no longer accepts connections.
            let port = fixture.gateway.port
            #expect(throws: HarnessError.self) { try RawWebSocket(port: port) }
            print("[gateway] graceful shutdown with 2 clients took \(took)")
        }
    }
}
