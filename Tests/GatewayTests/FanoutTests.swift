import Foundation
import Gateway
import Testing
import WavecastCore
import WavecastTestSupport

extension GatewayEndToEndTests {
    /// Every client gets every chunk, byte for byte, paced at real time; gateways agree with each other.
    @Suite struct FanoutTests {
        @Test func twentyClientsGetEveryChunkInOrderByteIdenticalAndPaced() async throws {
            try await GatewayFixture.with { fixture in
                let stream = "fanout"
                var listeners: [WebSocketListener] = []
                for _ in 0..<20 {
                    listeners.append(try await fixture.gateway.listen(stream))
                }
                try await fixture.ingest.play(stream, TestAudio.wav(seconds: 2.5))
                let published = try await fixture.bus.waitForEnd(of: stream, timeout: .seconds(15)).chunks
                #expect(published.count >= 30)
                #expect(published.map(\.header.sequence) == (0..<UInt64(published.count)).map { $0 })

                for listener in listeners {
                    let events = try await listener.waitForEnd(timeout: .seconds(5))
                    StreamExpectations.expectWholeStream(events, published: published, stream: stream)
                    #expect(listener.closeFrame == nil, "the connection stays open after an end")
                }

                // Real time: 72 ms apart, the whole stream's span equal to its media span.
                let start = try #require(listeners[0].events.first)
                let epoch = try #require(published.first?.header.epoch)
                #expect(
                    start.text
                        == #"{"event":"start","stream":"fanout","format":{"codec":"mp3","sample_rate":8000,"channels":1,"bitrate":8},"#
                        + #""epoch":\#(epoch)}"#
                )
                var worstSpread = 0.0
                for listener in listeners {
                    let pacing = PacingFigures(listener.chunks)
                    #expect(abs(pacing.meanInterval - 72) < 4, "\(pacing)")
                    #expect(abs(pacing.spanError) < 80, "\(pacing)")
                    #expect(pacing.latenessSpread < 100, "\(pacing)")
                    worstSpread = max(worstSpread, pacing.latenessSpread)
                }
                // From the bus to the client: the gateway's jitter delay (20 ms) plus the hop.
                let busArrivals = Dictionary(
                    fixture.bus.messages(of: stream).filter { $0.message.header.kind == .chunk }
                        .map { ($0.message.header.sequence, $0.arrival) },
                    uniquingKeysWith: { first, _ in first }
                )
                let delays = listeners[0].chunks.compactMap { chunk in
                    busArrivals[chunk.sequence ?? 0].map { Double(chunk.arrival.nanoseconds(since: $0)) / 1e6 }
                }.sorted()
                let medianDelay = delays[delays.count / 2]
                #expect(medianDelay > 0 && medianDelay < 100, "median bus-to-client delay \(medianDelay) ms")
                print(
                    "[gateway] fan-out to 20 clients: \(PacingFigures(listeners[0].chunks)); worst lateness spread "
                        + "\(PacingFigures.format(worstSpread)) ms; median bus→client \(PacingFigures.format(medianDelay)) ms"
                )

                // /metrics counted every message: start, chunks and end, to each client.
                let sent = try await fixture.gateway.metric("wavecast_gateway_messages_sent_total")
                #expect(sent == Double(20 * (published.count + 2)))
                #expect(try await fixture.gateway.metric("wavecast_gateway_connections") == 20)
                #expect(try await fixture.gateway.metric("wavecast_gateway_sequence_gaps_total") == 0)
                for listener in listeners { await listener.stop() }
            }
        }

        /// `--fanout-group-size`: later groups are written from their own tasks, through each listener.
        @Test func clientsWrittenInGroupsStillGetEveryChunkInOrder() async throws {
            let groupsOfFour: (inout GatewayConfiguration) -> Void = { $0.fanoutGroupSize = 4 }
            try await GatewayFixture.with(gateway: groupsOfFour) { fixture in
                let stream = "groups"
                var listeners: [WebSocketListener] = []
                for _ in 0..<10 {
                    listeners.append(try await fixture.gateway.listen(stream))
                }
                try await fixture.ingest.play(stream, TestAudio.wav(seconds: 2))
                let published = try await fixture.bus.waitForEnd(of: stream, timeout: .seconds(15)).chunks
                #expect(published.count >= 20)
                for listener in listeners {
                    let events = try await listener.waitForEnd(timeout: .seconds(5))
                    StreamExpectations.expectWholeStream(events, published: published, stream: stream)
                    let pacing = PacingFigures(listener.chunks)
                    #expect(abs(pacing.meanInterval - 72) < 6, "\(pacing)")
                }
                for listener in listeners {
                    await listener.stop()
                }
            }
        }

        @Test func twoGatewaysSendIdenticalSequences() async throws {
            try await GatewayFixture.with(gateways: 2) { fixture in
                let stream = "twin"
                var listeners: [[WebSocketListener]] = []
                for gateway in fixture.gateways {
                    listeners.append([try await gateway.listen(stream), try await gateway.listen(stream)])
                }
                try await fixture.ingest.play(stream, TestAudio.wav(seconds: 1.5))
                let published = try await fixture.bus.waitForEnd(of: stream, timeout: .seconds(15)).chunks
                var texts: [[String]] = []
                for listener in listeners.joined() {
                    let events = try await listener.waitForEnd(timeout: .seconds(5))
                    StreamExpectations.expectWholeStream(events, published: published, stream: stream)
                    texts.append(events.map(\.text))
                }
                // Byte for byte the same messages, whichever gateway a client landed on.
                #expect(Set(texts).count == 1)
                // And at the same moments, within the bus's own jitter.
                let a = listeners[0][0].chunks
                let b = listeners[1][0].chunks
                let skew = zip(a, b).map { abs(Double($0.arrival.nanoseconds(since: $1.arrival)) / 1e6) }.max() ?? 0
                #expect(skew < 60, "two gateways' arrivals differ by up to \(skew) ms")
                print(
                    "[gateway] two gateways: identical \(a.count)-chunk sequences, arrival skew ≤ \(PacingFigures.format(skew)) ms"
                )
                for listener in listeners.joined() { await listener.stop() }
            }
        }

        @Test func clientJoiningMidStreamStartsOnASyncChunkWithABurstThenRealTime() async throws {
            try await GatewayFixture.with { fixture in
                let stream = "join"
                let early = try await fixture.gateway.listen(stream)
                try await fixture.ingest.play(stream, TestAudio.wav(seconds: 3))
                try await early.wait(for: "15 chunks", timeout: .seconds(5)) {
                    $0.filter { $0.event == "chunk" }.count >= 15
                }

                let late = try await fixture.gateway.listen(stream)
                let published = try await fixture.bus.waitForEnd(of: stream, timeout: .seconds(15)).chunks
                let lateEvents = try await late.waitForEnd(timeout: .seconds(5))
                _ = try await early.waitForEnd(timeout: .seconds(5))

                // It gets the stream's start at once (it missed the real one), then chunks from a sync chunk on.
                #expect(lateEvents.first?.event == "start")
                let chunks = late.chunks
                let first = try #require(chunks.first)
                #expect(first.isSync == true)
                #expect((first.sequence ?? 0) > 5, "the late client joined mid-stream")
                // From there, every remaining chunk, in order, byte-identical.
                let rest = published.filter { $0.header.sequence >= first.sequence ?? 0 }
                StreamExpectations.expectChunks(chunks, match: rest)

                // The burst: the chunks that came within a moment of the first — the last 300 ms (4 × 72 ms).
                let burst = chunks.prefix { Double($0.arrival.nanoseconds(since: first.arrival)) / 1e6 < 30 }
                #expect((3...5).contains(burst.count), "burst of \(burst.count) chunks")
                // After the burst, the late client is on the early one's schedule, not ahead or behind.
                let earlyArrivals = Dictionary(
                    early.chunks.map { ($0.sequence ?? 0, $0.arrival) },
                    uniquingKeysWith: { first, _ in first }
                )
                let skews = chunks.dropFirst(burst.count).compactMap { chunk in
                    earlyArrivals[chunk.sequence ?? 0].map { abs(Double(chunk.arrival.nanoseconds(since: $0)) / 1e6) }
                }
                #expect(!skews.isEmpty)
                #expect((skews.max() ?? 0) < 40, "late vs early client, same chunk: up to \(skews.max() ?? 0) ms apart")
                let afterBurst = PacingFigures(Array(chunks.dropFirst(burst.count)))
                #expect(abs(afterBurst.meanInterval - 72) < 6, "\(afterBurst)")
                print(
                    "[gateway] mid-stream join at seq \(first.sequence ?? 0): burst \(burst.count) chunks "
                        + "(burst 300 ms / 72 ms), then \(afterBurst)"
                )
                await early.stop()
                await late.stop()
            }
        }

        /// A burst bigger than the client's write watermark (4 KiB) makes the channel unwritable
        /// half-way through; that is not a slow client, and the burst must arrive whole.
        @Test func aBurstBiggerThanTheWriteWatermarkIsSentWhole() async throws {
            // 32 kbit/s: about 500 bytes a chunk message, so 3 s of burst is about 20 KB.
            let encoder = ["--bitrate", "32"]
            let gateway: (inout GatewayConfiguration) -> Void = { $0.burst = .seconds(3) }
            try await GatewayFixture.with(encoder: encoder, gateway: gateway) { fixture in
                let stream = "bigburst"
                let early = try await fixture.gateway.listen(stream)
                try await fixture.ingest.play(stream, TestAudio.wav(seconds: 5))
                try await early.wait(for: "45 chunks", timeout: .seconds(8)) {
                    $0.filter { $0.event == "chunk" }.count >= 45
                }

                let late = try await fixture.gateway.listen(stream)
                let published = try await fixture.bus.waitForEnd(of: stream, timeout: .seconds(15)).chunks
                _ = try await late.waitForEnd(timeout: .seconds(5))
                #expect(late.closeFrame == nil, "closed with \(late.closeFrame.map { "\($0)" } ?? "-")")
                let chunks = late.chunks
                let first = try #require(chunks.first)
                let burst = chunks.prefix { Double($0.arrival.nanoseconds(since: first.arrival)) / 1e6 < 30 }
                let burstBytes = burst.reduce(0) { $0 + ($1.payload?.count ?? 0) }
                #expect(burst.count >= 30, "burst of \(burst.count) chunks")
                #expect(burstBytes > 4096, "the burst (\(burstBytes) bytes of MP3) did not exceed the watermark")
                let rest = published.filter { $0.header.sequence >= first.sequence ?? 0 }
                StreamExpectations.expectChunks(chunks, match: rest)
                print(
                    "[gateway] burst over the write watermark: \(burst.count) chunks, \(burstBytes) bytes of MP3, all delivered"
                )
                await early.stop()
                await late.stop()
            }
        }
    }
}
