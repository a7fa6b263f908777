import Gateway
import Testing
import WavecastCore
import WavecastTestSupport

extension GatewayEndToEndTests {
    /// `?resume=EPOCH:SEQ` through a real encoder and gateways: a client back within the window gets exactly the
    /// chunks it missed, then live audio, on the gateway it left or on another that follows the stream; a changed
    /// epoch or a passed window is said so, with a fresh burst.
    @Suite struct ResumeTests {
        /// A gateway that keeps one second for resumes.
        static func keepingOneSecond(_ configuration: inout GatewayConfiguration) {
            configuration.resumeWindow = .milliseconds(1000)
        }

        /// Plays `seconds` of tone on `stream` as one file.
        static func play(_ fixture: GatewayFixture, _ stream: String, seconds: Double) async throws {
            let wav = TestAudio.wav(seconds: seconds, sampleRate: 8000)
            let reply = try await fixture.ingest.request(["op": "play", "stream": .string(stream)], payload: wav)
            guard reply.isOK else { throw HarnessError("play: \(reply)") }
        }

        /// Where `listener` is: the epoch and sequence of the last chunk it had.
        static func position(of listener: WebSocketListener) throws -> (epoch: UInt32, sequence: UInt64) {
            let last = try #require(listener.events.last { $0.event == "chunk" })
            let epoch = try #require(last.media?["epoch"]?.integerValue)
            return (UInt32(epoch), try #require(last.sequence))
        }

        /// Checks that `events` (after a resume) are a start, `resumed` with `recovered`, then chunks from `next` on,
        /// contiguous; returns the `resumed` event.
        static func expectResumed(
            _ events: [ClientEvent],
            recovered: Bool,
            from next: UInt64?
        ) throws -> ClientEvent {
            #expect(events.first?.event == "start", "\(events.prefix(2).map(\.text))")
            let resumed = try #require(events.first { $0.event == "resumed" })
            #expect(resumed.object["recovered"] == .bool(recovered), "\(resumed.text)")
            let sequences = events.filter { $0.event == "chunk" }.compactMap(\.sequence)
            if let next {
                #expect(
                    sequences.first == next,
                    "first chunk \(sequences.first.map(String.init) ?? "none"), not \(next)"
                )
            }
            #expect(zip(sequences, sequences.dropFirst()).allSatisfy { $1 == $0 + 1 }, "not contiguous: \(sequences)")
            return resumed
        }

        @Test func aClientBackWithinTheWindowGetsExactlyWhatItMissed() async throws {
            try await GatewayFixture.with { fixture in
                try await Self.play(fixture, "talk", seconds: 20)
                let first = try await fixture.gateway.listen("talk")
                _ = try await first.wait(for: "a second of audio", timeout: .seconds(5)) {
                    $0.count { $0.event == "chunk" } >= 14
                }
                await first.disconnect()
                let (epoch, sequence) = try Self.position(of: first)
                #expect(first.events.first { $0.event == "start" }?.object["epoch"] == .number(Double(epoch)))
                try await Task.sleep(for: .milliseconds(1500))

                let back = try await fixture.gateway.listen("talk", query: "?resume=\(epoch):\(sequence)")
                let events = try await back.wait(for: "the missed chunks and live audio", timeout: .seconds(5)) {
                    $0.count { $0.event == "chunk" } >= 30
                }
                let resumed = try Self.expectResumed(events, recovered: true, from: sequence + 1)
                #expect(resumed.object["missing"] == .number(0))
                // The missed 1.5 s came at once: the resumed client is back at the live edge.
                let missed = events.filter { $0.event == "chunk" }.prefix(15)
                let spread = Double(missed.last!.arrival.nanoseconds(since: missed.first!.arrival)) / 1e6
                print("[measure] resume after 1.5 s away: \(missed.count) missed chunks delivered within \(spread) ms")
                #expect(spread < 500, "the missed chunks took \(spread) ms")
                #expect(try await fixture.gateway.metric("wavecast_gateway_resumes_recovered_total") == 1)

                // Another epoch (the stream restarted since): said so, and a fresh burst.
                let other = try await fixture.gateway.listen("talk", query: "?resume=\(epoch &+ 1):\(sequence)")
                let otherEvents = try await other.wait(for: "a burst", timeout: .seconds(5)) {
                    $0.count { $0.event == "chunk" } >= 3
                }
                let refused = try Self.expectResumed(otherEvents, recovered: false, from: nil)
                #expect(refused.object["reason"] == .string("epoch_changed"))
                #expect(otherEvents.first { $0.event == "chunk" }?.isSync == true)
                await back.stop()
                await other.stop()
            }
        }

        @Test func aClientAwayLongerThanTheWindowIsToldWhatItMissed() async throws {
            try await GatewayFixture.with(gateway: Self.keepingOneSecond) { fixture in
                try await Self.play(fixture, "talk", seconds: 20)
                let first = try await fixture.gateway.listen("talk")
                _ = try await first.wait(for: "audio", timeout: .seconds(5)) { $0.count { $0.event == "chunk" } >= 5 }
                await first.disconnect()
                let (epoch, sequence) = try Self.position(of: first)
                try await Task.sleep(for: .milliseconds(2500))
                let back = try await fixture.gateway.listen("talk", query: "?resume=\(epoch):\(sequence)")
                let events = try await back.wait(for: "a burst", timeout: .seconds(5)) {
                    $0.count { $0.event == "chunk" } >= 3
                }
                let resumed = try Self.expectResumed(events, recovered: false, from: nil)
                #expect(resumed.object["reason"] == .string("window_passed"))
                let missing = try #require(resumed.object["missing"]?.integerValue)
                // About 2.5 s away with 1 s kept: some 1.5 s (≈ 20 chunks of 72 ms) are gone for good.
                #expect((10...30).contains(missing), "missing \(missing)")
                await back.stop()
            }
        }

        /// Twenty clients of a gateway that goes away come back on another that follows the stream: each gets
        /// exactly what it missed.
        @Test func clientsResumeOnAnotherGatewayThatFollowsTheStream() async throws {
            try await GatewayFixture.with(gateways: 2) { fixture in
                try await Self.play(fixture, "talk", seconds: 20)
                // Someone listens on the second gateway, so it follows the stream and keeps its window.
                let follower = try await fixture.gateways[1].listen("talk")
                var clients: [WebSocketListener] = []
                for _ in 0..<20 {
                    clients.append(try await fixture.gateways[0].listen("talk"))
                }
                for client in clients {
                    _ = try await client.wait(for: "audio", timeout: .seconds(5)) {
                        $0.count { $0.event == "chunk" } >= 10
                    }
                }
                // The first gateway goes away; its clients come back on the other.
                let stopped = MonotonicTime.now()
                _ = try await fixture.gateways[0].stop()
                try await Task.sleep(for: .milliseconds(800))
                var recovered = 0
                var backs: [WebSocketListener] = []
                for client in clients {
                    let (epoch, sequence) = try Self.position(of: client)
                    let back = try await fixture.gateways[1].listen("talk", query: "?resume=\(epoch):\(sequence)")
                    let events = try await back.wait(for: "the missed chunks", timeout: .seconds(5)) {
                        $0.contains { $0.event == "resumed" } && $0.count { $0.event == "chunk" } >= 12
                    }
                    if try Self.expectResumed(events, recovered: true, from: sequence + 1).object["recovered"]
                        == .bool(true)
                    {
                        recovered += 1
                    }
                    backs.append(back)
                }
                let seconds = Double(MonotonicTime.now().nanoseconds(since: stopped)) / 1e9
                print(
                    "[measure] gateway stopped: \(recovered) of \(clients.count) clients resumed on the other, none lost a chunk (\(seconds) s)"
                )
                #expect(recovered == clients.count)
                for back in backs { await back.stop() }
                for client in clients { await client.stop() }
                await follower.stop()
            }
        }

        @Test func aBadResumeIsRefusedBeforeTheUpgrade() async throws {
            try await GatewayFixture.with { fixture in
                let port = fixture.gateway.port
                let response = try await blocking {
                    try RawWebSocket.request(port: port, RawWebSocket.handshake(path: "/ws/talk?resume=yesterday"))
                }
                #expect(response.status == 400, "\(response.status)")
                #expect(response.body.contains("resume must be EPOCH:SEQ"), "\(response.body)")
            }
        }
    }
}
