import Gateway
import Testing
import WavecastCore
import WavecastTestSupport

extension GatewayEndToEndTests {
    /// A gateway on an encoder whose bus needs CURVE: with an allowed key it relays as usual; with a key the
    /// encoder does not know, or none, it hears nothing and says so on `/readyz`.
    @Suite struct CurveBusTests {
        @Test func aGatewayWithAnAllowedKeyRelaysAndOneWithoutStaysNotReady() async throws {
            let keys = try TestKeys()
            try await GatewayFixture.with(keys: keys) { fixture in
                let stream = "curve-bus"
                try await fixture.ingest.play(stream, TestAudio.wav(seconds: 3))
                let listener = try await fixture.gateway.listen(stream)
                let events = try await listener.wait(for: "5 chunks", timeout: .seconds(5)) {
                    $0.filter { $0.event == "chunk" }.count >= 5
                }
                #expect(events.contains { $0.event == "chunk" })
                await listener.stop()

                let stranger = try await RunningGateway.start(bus: [fixture.encoder.bus]) {
                    $0.busCurve = keys.client(keys.stranger)
                }
                let plain = try await RunningGateway.start(bus: [fixture.encoder.bus])
                // Three heartbeats' time (100 ms each in these tests) and more.
                try await Task.sleep(for: .milliseconds(1500))
                for gateway in [stranger, plain] {
                    #expect(try await gateway.get("/readyz").status == 503)
                    #expect(try await gateway.metric("wavecast_gateway_bus_messages_total") ?? 0 == 0)
                    try await gateway.stop()
                }
            }
        }
    }
}
