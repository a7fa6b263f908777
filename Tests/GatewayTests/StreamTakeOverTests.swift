import Foundation
import Testing
import WavecastCore
import WavecastTestSupport
import ZeroMQ

extension GatewayEndToEndTests {
    /// One gateway following two encoders: a stream that moves from one to the other keeps its listeners, and is
    /// taken from its newest incarnation (its epoch) only.
    @Suite struct StreamTakeOverTests {
        /// A chunk's epoch (`media.epoch`), or a start's (`epoch`).
        static func epoch(of event: ClientEvent) -> UInt64? {
            (event.event == "chunk" ? event.media?["epoch"] : event.object["epoch"])?.integerValue.map(UInt64.init)
        }

        /// Two encoders on a bus each, and a gateway following both.
        static func start() async throws -> (EncoderProcess, EncoderProcess, RunningGateway) {
            let first = try await blocking { try EncoderProcess(arguments: GatewayFixture.encoderArguments) }
            let second = try await blocking { try EncoderProcess(arguments: GatewayFixture.encoderArguments) }
            let gateway = try await RunningGateway.start(bus: [first.bus, second.bus])
            try await gateway.waitUntilReady()
            return (first, second, gateway)
        }

        /// The encoder with a stream is killed; its feeder plays the stream on the other (its next choice). The
        /// listeners stay connected: a `start` with the new epoch, then its chunks, within 3 s of the loss.
        @Test func aStreamMovedToAnotherEncoderKeepsItsListeners() async throws {
            let (first, second, gateway) = try await Self.start()
            let context = try ZMQContext()
            var cleanup: [() async -> Void] = [{ _ = try? await gateway.stop() }, { first.kill() }, { second.kill() }]
            do {
                let listeners = try await (0..<3).asyncMap { _ in try await gateway.listen("moving") }
                for listener in listeners { cleanup.append { await listener.stop() } }
                let firstIngest = try IngestClient(context: context, endpoint: first.ingest, type: .dealer)
                cleanup.append { await firstIngest.close() }
                #expect(try await firstIngest.play("moving", TestAudio.wav(seconds: 2), loop: true).isOK)
                for listener in listeners {
                    try await listener.wait(for: "5 chunks", timeout: .seconds(5)) {
                        $0.count { $0.event == "chunk" } >= 5
                    }
                }
                let oldEpoch = try #require(Self.epoch(of: listeners[0].chunks[0]))

                first.kill()
                let lost = MonotonicTime.now()
                let secondIngest = try IngestClient(context: context, endpoint: second.ingest, type: .dealer)
                cleanup.append { await secondIngest.close() }
                #expect(try await secondIngest.play("moving", TestAudio.wav(seconds: 2), loop: true).isOK)

                var gaps: [Double] = []
                for listener in listeners {
                    let events = try await listener.wait(for: "a chunk of the new epoch", timeout: .seconds(5)) {
                        $0.contains { $0.event == "chunk" && Self.epoch(of: $0) != oldEpoch }
                    }
                    let firstNew = try #require(
                        events.firstIndex { $0.event == "chunk" && Self.epoch(of: $0) != oldEpoch }
                    )
                    let newEpoch = Self.epoch(of: events[firstNew])
                    // Greeted with the new incarnation's start before its audio.
                    let start = events[..<firstNew].lastIndex { $0.event == "start" }
                    #expect(
                        start.map { Self.epoch(of: events[$0]) } == newEpoch,
                        "no start of the new epoch came first"
                    )
                    gaps.append(Double(events[firstNew].arrival.nanoseconds(since: lost)) / 1e6)
                }
                // Half a second more: still connected, and nothing of the old incarnation after the new one's audio.
                try await Task.sleep(for: .milliseconds(500))
                for listener in listeners {
                    let chunks = listener.chunks
                    let firstNew = chunks.firstIndex { Self.epoch(of: $0) != oldEpoch } ?? chunks.endIndex
                    #expect(chunks[firstNew...].allSatisfy { Self.epoch(of: $0) != oldEpoch })
                    #expect(
                        listener.closeFrame == nil,
                        "a listener was closed: \(String(describing: listener.closeFrame))"
                    )
                }
                print(
                    "stream moved: first chunk of the new encoder \(gaps.map { Int($0) }) ms after the old one was killed"
                )
                #expect(gaps.allSatisfy { $0 < 3000 }, "gaps \(gaps) ms")
                #expect(try await gateway.metric("wavecast_gateway_source_takeovers_total") ?? 0 >= 1)
            } catch {
                for step in cleanup.reversed() { await step() }
                throw error
            }
            for step in cleanup.reversed() { await step() }
        }

        /// Both encoders publish the stream (its feeder re-routed while the first still plays): listeners get the
        /// newest start's incarnation only, and the other's messages are counted and ignored.
        @Test func twoSourcesOfOneStreamDoNotInterleave() async throws {
            let (first, second, gateway) = try await Self.start()
            let context = try ZMQContext()
            var cleanup: [() async -> Void] = [{ _ = try? await gateway.stop() }, { first.kill() }, { second.kill() }]
            do {
                let listener = try await gateway.listen("twin")
                cleanup.append { await listener.stop() }
                let firstIngest = try IngestClient(context: context, endpoint: first.ingest, type: .dealer)
                cleanup.append { await firstIngest.close() }
                #expect(try await firstIngest.play("twin", TestAudio.wav(seconds: 2), loop: true).isOK)
                try await listener.wait(for: "3 chunks", timeout: .seconds(5)) { $0.count { $0.event == "chunk" } >= 3 }
                let oldEpoch = try #require(Self.epoch(of: listener.chunks[0]))

                let secondIngest = try IngestClient(context: context, endpoint: second.ingest, type: .dealer)
                cleanup.append { await secondIngest.close() }
                #expect(try await secondIngest.play("twin", TestAudio.wav(seconds: 2), loop: true).isOK)
                try await listener.wait(for: "a chunk of the second source", timeout: .seconds(5)) {
                    $0.contains { $0.event == "chunk" && Self.epoch(of: $0) != oldEpoch }
                }
                // The first keeps publishing for another second and a half.
                try await Task.sleep(for: .milliseconds(1500))
                let chunks = listener.chunks
                let firstNew = try #require(chunks.firstIndex { Self.epoch(of: $0) != oldEpoch })
                let newEpoch = Self.epoch(of: chunks[firstNew])
                #expect(chunks[firstNew...].allSatisfy { Self.epoch(of: $0) == newEpoch }, "the sources interleaved")
                let sequences = chunks[firstNew...].compactMap(\.sequence)
                #expect(sequences == Array(sequences.sorted()), "out of order: \(sequences)")
                #expect(chunks.count - firstNew >= 5, "only \(chunks.count - firstNew) chunks of the second source")
                #expect(try await gateway.metric("wavecast_gateway_stale_epoch_messages_total") ?? 0 >= 3)
                #expect(listener.closeFrame == nil)
            } catch {
                for step in cleanup.reversed() { await step() }
                throw error
            }
            for step in cleanup.reversed() { await step() }
        }
    }
}

extension Sequence {
    /// `transform` applied to each element in turn, awaited one by one.
    fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async throws -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
