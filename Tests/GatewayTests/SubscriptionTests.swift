import Gateway
import Testing
import WavecastCore
import WavecastTestSupport

extension GatewayEndToEndTests {
    /// A gateway takes from the bus only the streams its listeners want, and a stream's first listener still starts
    /// at once, on a sync chunk, from the encoder's replay.
    @Suite struct SubscriptionTests {
        @Test func aListenerJoiningAnUnsubscribedStreamGetsASyncBurstAtOnce() async throws {
            // Heartbeats twice a second (the tests' default is 10; the gateway's /readyz wants one a
            // second), so the control topic's few messages cannot be mistaken for the stream's chunks.
            let slowHeartbeats = ["--heartbeat-ms", "500"]
            try await GatewayFixture.with(encoder: slowHeartbeats) { fixture in
                let stream = "unsubscribed"
                try await fixture.ingest.play(stream, TestAudio.wav(seconds: 4))
                // 1.5 s in: the encoder has published about 20 chunks, none of which the gateway took.
                try await fixture.bus.wait(for: "20 chunks", timeout: .seconds(5)) {
                    $0.filter { $0.message.streamID == stream && $0.message.header.kind == .chunk }.count >= 20
                }
                #expect(try await fixture.gateway.metric("wavecast_gateway_subscribed_streams") == 0)
                // About 4 heartbeats and 3 catalogues by now, against 20 chunks published.
                let takenBefore = try await fixture.gateway.metric("wavecast_gateway_bus_messages_total") ?? 0
                #expect(takenBefore < 12, "the gateway took \(takenBefore) bus messages for nobody")
                // Yet /streams lists it, from the catalogue.
                let streams = try await fixture.gateway.get("/streams").body
                #expect(streams.contains(#""stream":"\#(stream)""#), "\(streams)")

                let joined = MonotonicTime.now()
                let listener = try await fixture.gateway.listen(stream)
                let events = try await listener.wait(for: "4 chunks", timeout: .seconds(5)) {
                    $0.filter { $0.event == "chunk" }.count >= 4
                }
                let chunks = events.filter { $0.event == "chunk" }
                let firstAudio = Double(chunks[0].arrival.nanoseconds(since: joined)) / 1e6
                // The bench measures this closely (p99 ≤ 100 ms); here only that it did not wait for live audio.
                #expect(firstAudio < 1000, "first audio after \(firstAudio) ms")
                #expect(chunks[0].isSync == true)
                // The burst: several chunks at once, not one per 72 ms.
                let burstSpan = Double(chunks[3].arrival.nanoseconds(since: chunks[0].arrival)) / 1e6
                #expect(burstSpan < 150, "4 chunks took \(burstSpan) ms: no burst")
                #expect(try await fixture.gateway.metric("wavecast_gateway_replayed_chunks_total") ?? 0 >= 2)
                #expect(try await fixture.gateway.metric("wavecast_gateway_subscribed_streams") == 1)

                // Then every chunk to the end, in order, none twice.
                let published = try await fixture.bus.waitForEnd(of: stream, timeout: .seconds(10)).chunks
                let all = try await listener.waitForEnd(timeout: .seconds(5)).compactMap(\.sequence)
                let first = try #require(all.first)
                #expect(all == Array(first...(published.last?.header.sequence ?? 0)))
                #expect(listener.closeFrame == nil)
                await listener.stop()
            }
        }

        @Test func theSubscriptionIsDroppedAfterTheLastListenerLeavesAndTakenAgain() async throws {
            let shortDelay: (inout GatewayConfiguration) -> Void = { $0.unsubscribeDelay = .milliseconds(300) }
            try await GatewayFixture.with(gateway: shortDelay) { fixture in
                let stream = "comes-and-goes"
                try await fixture.ingest.play(stream, TestAudio.wav(seconds: 8))
                let first = try await fixture.gateway.listen(stream)
                _ = try await first.wait(for: "3 chunks", timeout: .seconds(5)) {
                    $0.filter { $0.event == "chunk" }.count >= 3
                }
                #expect(try await fixture.gateway.metric("wavecast_gateway_subscribed_streams") == 1)
                await first.disconnect()

                // Gone after the delay: the bus brings nothing more of the stream.
                try await Self.waitForMetric(fixture.gateway, "wavecast_gateway_subscribed_streams", 0)
                let before = try await fixture.gateway.metric("wavecast_gateway_bus_messages_total") ?? 0
                try await Task.sleep(for: .milliseconds(720))
                let after = try await fixture.gateway.metric("wavecast_gateway_bus_messages_total") ?? 0
                // 10 chunks were published meanwhile; only heartbeats and catalogues (about 7 each per 720 ms) came.
                #expect(after - before <= 12, "\(after - before) bus messages in 720 ms while unsubscribed")

                // Taken again: a burst at once, then live chunks in order.
                let second = try await fixture.gateway.listen(stream)
                let events = try await second.wait(for: "8 chunks", timeout: .seconds(5)) {
                    $0.filter { $0.event == "chunk" }.count >= 8
                }
                let sequences = events.compactMap(\.sequence)
                #expect(sequences == Array(sequences[0]..<sequences[0] + UInt64(sequences.count)))
                #expect(events.first { $0.event == "chunk" }?.isSync == true)
                #expect(try await fixture.gateway.metric("wavecast_gateway_subscribed_streams") == 1)
                await second.stop()
            }
        }

        @Test func aListenerWaitingBeforeTheStreamStartsGetsItAll() async throws {
            try await GatewayFixture.with(gateways: 2) { fixture in
                let stream = "not-yet"
                let early = try await fixture.gateways[0].listen(stream)
                try await Task.sleep(for: .milliseconds(400))  // longer than the wait for a replay
                try await fixture.ingest.play(stream, TestAudio.wav(seconds: 1.5))
                let published = try await fixture.bus.waitForEnd(of: stream, timeout: .seconds(10)).chunks
                let events = try await early.waitForEnd(timeout: .seconds(5))
                StreamExpectations.expectWholeStream(events, published: published, stream: stream)
                // The other gateway never subscribed.
                #expect(try await fixture.gateways[1].metric("wavecast_gateway_subscribed_streams") == 0)
                await early.stop()
            }
        }

        static func waitForMetric(_ gateway: RunningGateway, _ name: String, _ value: Double) async throws {
            let deadline = ContinuousClock.now + .seconds(5)
            while try await gateway.metric(name) != value {
                try #require(ContinuousClock.now < deadline, "\(name) never became \(value)")
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }
}
