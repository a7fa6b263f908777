import Gateway
import Testing
import WavecastTestSupport

/// A connection that never finishes its request is closed by the gateway on a timeout.
struct RequestTimeoutTests {
    @Test func halfSentHandshakeIsClosedAfterTheRequestTimeout() async throws {
        try await GatewayFixture.with { fixture in
            let port = fixture.gateways[0].port
            let socket = try RawWebSocket(port: port)
            // Slowloris: a request line and one header, then nothing.
            try socket.send(Array("GET /ws/demo HTTP/1.1\r\nHost: 127.0.0.1\r\n".utf8))
            let started = ContinuousClock.now
            let bytes = try socket.readUntilEOF(timeout: .seconds(20))
            let took = ContinuousClock.now - started
            #expect(bytes.isEmpty, "the gateway answered a request it never got whole")
            // The timeout is 10 s; allow a busy machine some slack either way.
            #expect(took > .seconds(8) && took < .seconds(15), "closed after \(took)")
        }
    }

    @Test func requestTimeoutIsConfigurable() async throws {
        let gateway: (inout GatewayConfiguration) -> Void = { $0.requestTimeout = .seconds(1) }
        try await GatewayFixture.with(gateway: gateway) { fixture in
            let socket = try RawWebSocket(port: fixture.gateways[0].port)
            try socket.send(Array("GET /ws/demo HTTP/1.1\r\nHost: 127.0.0.1\r\n".utf8))
            let started = ContinuousClock.now
            let bytes = try socket.readUntilEOF(timeout: .seconds(10))
            let took = ContinuousClock.now - started
            #expect(bytes.isEmpty, "the gateway answered a request it never got whole")
            // `--request-timeout-ms 1000`: closed after 1 s, with slack for a busy machine.
            #expect(took > .milliseconds(800) && took < .seconds(5), "closed after \(took)")
        }
    }
}
