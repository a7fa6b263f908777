import Foundation
import Testing
import WavecastCore
import WavecastTestSupport
import ZeroMQ

extension GatewayEndToEndTests {
    /// The gateway outlives its encoder: readiness follows heartbeats, and a restarted encoder is served again.
    @Suite struct EncoderRestartTests {
        /// Starts a `wavecast-encoder` publishing on `bus`, with the fixture's fast heartbeats.
        static func startEncoder(publishingOn bus: String) async throws -> EncoderProcess {
            try await blocking { try EncoderProcess(arguments: GatewayFixture.encoderArguments + ["--publish", bus]) }
        }

        /// Waits until `/readyz` answers `status`.
        static func waitForReadyz(_ gateway: RunningGateway, _ status: Int, timeout: Duration) async throws {
            let deadline = ContinuousClock.now + timeout
            while try await gateway.get("/readyz").status != status {
                if ContinuousClock.now >= deadline {
                    throw HarnessError("/readyz did not become \(status) in \(timeout)")
                }
                try await Task.sleep(for: .milliseconds(50))
            }
        }

        @Test func readyzIs503BeforeAnyHeartbeatAnd200After() async throws {
            let bus = try FreePort.endpoint()
            let gateway = try await RunningGateway.start(bus: [bus])
            do {
                let before = try await gateway.get("/readyz")
                #expect(before.status == 503)
                #expect(before.body.contains("no heartbeat"))
                #expect(try await gateway.get("/healthz").status == 200, "alive, though not ready")

                let encoder = try await Self.startEncoder(publishingOn: bus)
                try await Self.waitForReadyz(gateway, 200, timeout: .seconds(5))
                #expect(try await gateway.get("/readyz").body == "ready\n")

                // The encoder dies: after the heartbeat timeout (1 s here) the gateway is not ready again.
                encoder.kill()
                try await Self.waitForReadyz(gateway, 503, timeout: .seconds(5))
            } catch {
                try await gateway.stop()
                throw error
            }
            try await gateway.stop()
        }

        @Test func streamAfterAnEncoderRestartIsServedToAConnectedClient() async throws {
            let bus = try FreePort.endpoint()
            let context = try ZMQContext()
            let first = try await Self.startEncoder(publishingOn: bus)
            let gateway = try await RunningGateway.start(bus: [bus])
            let stream = "restart"
            var cleanup: [() async -> Void] = [{ _ = try? await gateway.stop() }]
            do {
                try await gateway.waitUntilReady()
                let listener = try await gateway.listen(stream)
                cleanup.append { await listener.stop() }

                // The first encoder plays, and is killed in the middle of the stream.
                let firstIngest = try IngestClient(context: context, endpoint: first.ingest, type: .dealer)
                try await firstIngest.play(stream, TestAudio.wav(seconds: 5))
                try await listener.wait(for: "5 chunks", timeout: .seconds(5)) {
                    $0.filter { $0.event == "chunk" }.count >= 5
                }
                await firstIngest.close()
                first.kill()
                try await Self.waitForReadyz(gateway, 503, timeout: .seconds(5))
                let before = listener.events.count

                // A new encoder on the same endpoint: the gateway's SUB reconnects by itself.
                let second = try await Self.startEncoder(publishingOn: bus)
                cleanup.append { second.kill() }
                try await Self.waitForReadyz(gateway, 200, timeout: .seconds(5))
                let tap = try BusTap(context: context, endpoint: second.bus)
                cleanup.append { await tap.stop() }
                try await tap.waitForHeartbeat()
                let secondIngest = try IngestClient(context: context, endpoint: second.ingest, type: .dealer)
                cleanup.append { await secondIngest.close() }
                try await secondIngest.play(stream, TestAudio.wav(seconds: 1))
                let published = try await tap.waitForEnd(of: stream, timeout: .seconds(10)).chunks

                try await listener.wait(for: "the second stream's end", timeout: .seconds(5)) { events in
                    events.dropFirst(before).contains { $0.event == "end" && $0.string("reason") == "finished" }
                }
                let after = Array(listener.events.dropFirst(before))
                let restart = try #require(after.firstIndex { $0.event == "start" })
                StreamExpectations.expectWholeStream(Array(after[restart...]), published: published, stream: stream)
                #expect(listener.closeFrame == nil, "the client stayed connected throughout")
            } catch {
                for step in cleanup.reversed() { await step() }
                throw error
            }
            for step in cleanup.reversed() { await step() }
        }
    }
}
