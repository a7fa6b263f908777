import Foundation
import Testing
import WavecastCore
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

extension GatewayEndToEndTests {
    /// The gateway outlives its encoder: readiness follows heartbeats, and a restarted encoder is served again.
    @Suite struct EncoderRestartTests {
        /// A TCP port that was free a moment ago: bind port 0, read it, close.
        static func freePort() throws -> Int {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard descriptor >= 0 else { throw FixtureError("socket() failed") }
            defer { close(descriptor) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
                }
            }
            guard bound else { throw FixtureError("bind to port 0 failed: errno \(errno)") }
            return Int(UInt16(bigEndian: address.sin_port))
        }

        /// Waits until `/readyz` answers `status`.
        static func waitForReadyz(_ gateway: RunningGateway, _ status: Int, timeout: Duration) async throws {
            let deadline = ContinuousClock.now + timeout
            while try await gateway.get("/readyz").status != status {
                if ContinuousClock.now >= deadline {
                    throw FixtureError("/readyz did not become \(status) in \(timeout)")
                }
                try await Task.sleep(for: .milliseconds(50))
            }
        }

        @Test func readyzIs503BeforeAnyHeartbeatAnd200After() async throws {
            let bus = "tcp://127.0.0.1:\(try Self.freePort())"
            let gateway = try await RunningGateway.start(bus: [bus])
            do {
                let before = try await gateway.get("/readyz")
                #expect(before.status == 503)
                #expect(before.body.contains("no heartbeat"))
                #expect(try await gateway.get("/healthz").status == 200, "alive, though not ready")

                let encoder = try await RunningEncoder.start(publishEndpoint: bus)
                try await Self.waitForReadyz(gateway, 200, timeout: .seconds(5))
                #expect(try await gateway.get("/readyz").body == "ready\n")

                // The encoder goes away: after the heartbeat timeout (1 s here) the gateway is not ready again.
                await encoder.stop()
                try await Self.waitForReadyz(gateway, 503, timeout: .seconds(5))
            } catch {
                try await gateway.stop()
                throw error
            }
            try await gateway.stop()
        }

        @Test func streamAfterAnEncoderRestartIsServedToAConnectedClient() async throws {
            let bus = "tcp://127.0.0.1:\(try Self.freePort())"
            let context = try ZMQContext()
            let first = try await RunningEncoder.start(publishEndpoint: bus)
            let gateway = try await RunningGateway.start(bus: [bus])
            let stream = "restart"
            var cleanup: [() async -> Void] = [{ _ = try? await gateway.stop() }]
            do {
                try await gateway.waitUntilReady()
                let listener = try await gateway.listen(stream)
                cleanup.append { await listener.stop() }

                // The first encoder plays, and is killed in the middle of the stream.
                let firstIngest = try IngestDealer(context: context, endpoint: first.ingestEndpoint)
                try await firstIngest.play(stream, TestWAV.tone(seconds: 5))
                try await listener.wait(for: "5 chunks", timeout: .seconds(5)) {
                    $0.filter { $0.event == "chunk" }.count >= 5
                }
                await firstIngest.close()
                await first.stop()
                try await Self.waitForReadyz(gateway, 503, timeout: .seconds(5))
                let before = listener.events.count

                // A new encoder on the same endpoint: the gateway's SUB reconnects by itself.
                let second = try await RunningEncoder.start(publishEndpoint: bus)
                cleanup.append { await second.stop() }
                try await Self.waitForReadyz(gateway, 200, timeout: .seconds(5))
                let tap = try BusTap(context: context, endpoint: second.publishEndpoint)
                cleanup.append { await tap.stop() }
                try await tap.waitForHeartbeat()
                let secondIngest = try IngestDealer(context: context, endpoint: second.ingestEndpoint)
                cleanup.append { await secondIngest.close() }
                try await secondIngest.play(stream, TestWAV.tone(seconds: 1))
                let published = try await tap.waitForEnd(of: stream, timeout: .seconds(10))

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
