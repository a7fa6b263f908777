import Foundation
import Gateway
import Testing
import WavecastCore
import WavecastTestSupport

extension GatewayEndToEndTests {
    /// Many streams with few listeners each, beside one stream with many, on one gateway at once.
    ///
    /// `scripts/test` also runs this under ThreadSanitizer: the bus thread hands chunks to both event loops
    /// for 25 streams while 96 connections are written, joined and closed.
    @Suite struct FanoutLoadTests {
        static let narrowStreams = 24
        static let listenersPerNarrowStream = 3
        static let wideListeners = 24

        @Test func manyStreamsWithFewListenersAndOneWithManyAllGetEveryChunk() async throws {
            try await GatewayFixture.with { fixture in
                let narrow = (0..<Self.narrowStreams).map { "narrow-\($0)" }
                var listeners: [(stream: String, listener: WebSocketListener)] = []
                for stream in narrow {
                    for _ in 0..<Self.listenersPerNarrowStream {
                        listeners.append((stream, try await fixture.gateway.listen(stream)))
                    }
                }
                for _ in 0..<Self.wideListeners {
                    listeners.append(("wide", try await fixture.gateway.listen("wide")))
                }
                let tone = TestAudio.wav(seconds: 1.5)
                for stream in narrow + ["wide"] {
                    try await fixture.ingest.play(stream, tone)
                }

                var published: [String: [BusMessage]] = [:]
                for stream in narrow + ["wide"] {
                    published[stream] = try await fixture.bus.waitForEnd(of: stream, timeout: .seconds(30)).chunks
                    #expect(published[stream]?.count ?? 0 >= 20, "'\(stream)' published a whole 1.5 s file")
                }
                var expectedMessages = 0
                for (stream, listener) in listeners {
                    let events = try await listener.waitForEnd(timeout: .seconds(10))
                    let whole = try #require(published[stream])
                    StreamExpectations.expectWholeStream(events, published: whole, stream: stream)
                    #expect(listener.closeFrame == nil, "'\(stream)': the connection stays open after an end")
                    expectedMessages += whole.count + 2
                }
                #expect(
                    try await fixture.gateway.metric("wavecast_gateway_messages_sent_total") == Double(expectedMessages)
                )
                #expect(try await fixture.gateway.metric("wavecast_gateway_sequence_gaps_total") == 0)
                for (_, listener) in listeners { await listener.stop() }
            }
        }
        /// The other shape of traffic: one listener per stream, many streams, each a first listener
        /// the gateway subscribes for. Every listener gets its whole stream, paced at 1×.
        @Test func manyStreamsWithOneListenerEachArePacedAtRealTimeWithNoLoss() async throws {
            // Under ThreadSanitizer (scripts/test sets TSAN_OPTIONS; code runs 5–15× slower) a smaller
            // shape, judged on completeness and the sanitizer's reports, not on pacing.
            let sanitized = ProcessInfo.processInfo.environment["TSAN_OPTIONS"] != nil
            let count = sanitized ? 40 : Self.singleListenerStreams
            try await GatewayFixture.with { fixture in
                let streams = (0..<count).map { "single-" + String(1000 + $0) }
                var listeners: [(stream: String, listener: WebSocketListener)] = []
                for stream in streams {
                    listeners.append((stream, try await fixture.gateway.listen(stream)))
                }
                let tone = TestAudio.wav(seconds: 2)
                for stream in streams {
                    try await fixture.ingest.play(stream, tone)
                }
                var worst = PacingFigures([])
                for (stream, listener) in listeners {
                    let whole = try await fixture.bus.waitForEnd(of: stream, timeout: .seconds(30)).chunks
                    let events = try await listener.waitForEnd(timeout: .seconds(10))
                    StreamExpectations.expectWholeStream(events, published: whole, stream: stream)
                    let pacing = PacingFigures(listener.chunks)
                    // Wide: 200 streams in a debug build on 2 cores; the bench measures closely.
                    if !sanitized {
                        #expect(abs(pacing.meanInterval - 72) < 8, "'\(stream)': \(pacing)")
                        #expect(abs(pacing.spanError) < 150, "'\(stream)': \(pacing)")
                    }
                    if abs(pacing.spanError) > abs(worst.spanError) { worst = pacing }
                }
                print("\(count) streams × 1 listener: worst pacing \(worst)")
                #expect(try await fixture.gateway.metric("wavecast_gateway_sequence_gaps_total") == 0)
                #expect(
                    try await fixture.gateway.metric("wavecast_gateway_subscribed_streams") == Double(count)
                )
                for (_, listener) in listeners { await listener.stop() }
            }
        }

        static let singleListenerStreams = 200
    }
}
