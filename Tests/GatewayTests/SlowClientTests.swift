import Foundation
import Gateway
import Testing
import WavecastCore
import WavecastTestSupport

extension GatewayEndToEndTests {
    /// A client that stops reading is cut off with 1013; nobody else is delayed by it.
    @Suite struct SlowClientTests {
        @Test func stalledClientIsClosedWith1013WhileAnActiveClientStaysOnTime() async throws {
            // 32 kbit/s (288-byte frames, ~6.8 KB/s of JSON) fills a stalled client's buffers in seconds, not minutes.
            let encoder = ["--bitrate", "32"]
            let gateway: (inout GatewayConfiguration) -> Void = { $0.maxClientLag = .milliseconds(500) }
            try await GatewayFixture.with(encoder: encoder, gateway: gateway) { fixture in
                let stream = "stall"
                let active = try await fixture.gateway.listen(stream)
                // Connects, completes the handshake, then never reads again; a small receive buffer stalls it sooner.
                let stalled = try await fixture.gateway.open("/ws/\(stream)", receiveBufferSize: 2048)
                try await fixture.ingest.play(stream, TestAudio.wav(seconds: 15))
                try await active.wait(for: "the first chunk", timeout: .seconds(5)) {
                    $0.contains { $0.event == "chunk" }
                }
                let started = ContinuousClock.now

                var closes = 0.0
                while closes < 1 {
                    #expect(ContinuousClock.now - started < .seconds(12), "no 1013 within 12 s")
                    if ContinuousClock.now - started >= .seconds(12) { break }
                    try await Task.sleep(for: .milliseconds(100))
                    closes = try await fixture.gateway.metric("wavecast_gateway_slow_client_closes_total") ?? 0
                }
                let closedAfter = ContinuousClock.now - started
                #expect(closes == 1)

                // The stalled client, reading at last: what it was sent, then a 1013 close or the end of the connection.
                let frames = try await blocking { try stalled.readUntilClosed(timeout: .seconds(6)) }
                let close = frames.last { $0.opcode == 0x8 }
                #expect(
                    close == nil || close?.closeCode == 1013,
                    "closed with \(close?.closeCode.map(String.init) ?? "-")"
                )
                #expect(frames.count > 10, "it had been sent chunks before it stalled")

                // The active client went on undisturbed: on time, nothing missing, still connected.
                try await Task.sleep(for: .milliseconds(500))
                try await fixture.ingest.stop(stream)
                let events = try await active.waitForEnd(timeout: .seconds(5))
                #expect(events.last?.string("reason") == "stopped")
                let chunks = active.chunks
                #expect(chunks.map { $0.sequence ?? 0 } == (0..<UInt64(chunks.count)).map { $0 })
                let pacing = PacingFigures(chunks)
                #expect(pacing.latenessSpread < 100, "\(pacing)")
                #expect(abs(pacing.meanInterval - 72) < 5, "\(pacing)")
                #expect(active.closeFrame == nil)
                print(
                    "[gateway] stalled client (SO_RCVBUF \(stalled.receiveBufferSize) B, lag limit 500 ms) closed "
                        + "\(closedAfter) after the first chunk with \(close.map { "close \($0.closeCode ?? 0)" } ?? "TCP close only"); "
                        + "active client: \(pacing)"
                )
                await active.stop()
            }
        }
    }
}
