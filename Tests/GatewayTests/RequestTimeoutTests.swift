import Foundation
import Gateway
import Testing
import WavecastTestSupport

/// A connection that never finishes its request is closed by the gateway on a timeout.
struct RequestTimeoutTests {
    /// The timeout the tests below shorten to 1 s is 10 s unless configured (as `--request-timeout-ms`).
    @Test func theRequestTimeoutIsTenSecondsByDefault() {
        #expect(GatewayConfiguration().requestTimeout == .seconds(10))
    }

    @Test func halfSentHandshakeIsClosedAfterTheRequestTimeout() async throws {
        let gateway: (inout GatewayConfiguration) -> Void = { $0.requestTimeout = .seconds(1) }
        try await GatewayFixture.with(gateway: gateway) { fixture in
            let socket = try RawWebSocket(port: fixture.gateways[0].port)
            // Slowloris: a request line and one header, then nothing.
            try socket.send(Array("GET /ws/demo HTTP/1.1\r\nHost: 127.0.0.1\r\n".utf8))
            let started = ContinuousClock.now
            let bytes = try socket.readUntilEOF(timeout: .seconds(10))
            let took = ContinuousClock.now - started
            #expect(bytes.isEmpty, "the gateway answered a request it never got whole")
            // `--request-timeout-ms 1000`: closed after 1 s, with slack for a busy machine.
            #expect(took > .milliseconds(800) && took < .seconds(5), "closed after \(took)")
        }
    }

    /// A client that keeps sending a byte now and then never finishes its request either: the allowance is for
    /// the whole request, not for silence, so trickling does not keep the connection.
    @Test func aTricklingHandshakeIsClosedAfterTheRequestTimeoutAllTheSame() async throws {
        let gateway: (inout GatewayConfiguration) -> Void = { $0.requestTimeout = .seconds(1) }
        try await GatewayFixture.with(gateway: gateway) { fixture in
            let socket = try RawWebSocket(port: fixture.gateways[0].port)
            let started = ContinuousClock.now
            let closed = try await blocking { () -> Bool in
                // One byte every 100 ms of a header that never ends, for at most 5 s.
                for byte in Array("GET /ws/demo HTTP/1.1\r\nX-Trickle: ".utf8)
                    + Array(repeating: UInt8(ascii: "a"), count: 50)
                {
                    do {
                        try socket.send([byte])
                    } catch {
                        return true
                    }
                    Thread.sleep(forTimeInterval: 0.1)
                    if ContinuousClock.now - started > .seconds(5) { return false }
                }
                return false
            }
            let took = ContinuousClock.now - started
            // Closed after the 1 s allowance (a send then fails), with slack for a busy machine.
            #expect(closed, "still open after \(took) of trickling")
            #expect(took > .milliseconds(800) && took < .seconds(4), "closed after \(took)")
            #expect(try socket.readUntilEOF(timeout: .seconds(2)).isEmpty, "the gateway answered a partial request")
        }
    }
}
