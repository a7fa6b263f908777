import Foundation
import Gateway
import Testing
import WavecastCore
import WavecastTestSupport

/// The WebSocket server's rules, driven by a hand-written client over real sockets: handshake refusals with
/// their status and reason, frame limits, masking, ping/pong and the closing handshake.
@Suite struct WebSocketConformanceTests {
    /// A handshake the gateway must refuse, and how.
    struct Refusal: Sendable, CustomTestStringConvertible {
        var name: String
        var request: String
        var status: Int
        var reason: String
        var header: (String, String)? = nil

        var testDescription: String { self.name }
    }

    static let refusals: [Refusal] = [
        Refusal(
            name: "key not base64 of 16 bytes",
            request: RawWebSocket.handshake(path: "/ws/demo", key: "c2hvcnQ="),
            status: 400,
            reason: "Sec-WebSocket-Key must be base64 of 16 bytes"
        ),
        Refusal(
            name: "no key",
            request: RawWebSocket.handshake(path: "/ws/demo", omitting: ["Sec-WebSocket-Key"]),
            status: 400,
            reason: "missing or repeated Sec-WebSocket-Key"
        ),
        Refusal(
            name: "no Connection",
            request: RawWebSocket.handshake(path: "/ws/demo", omitting: ["Connection"]),
            status: 400,
            reason: "missing 'Connection: Upgrade'"
        ),
        Refusal(
            name: "version 8",
            request: RawWebSocket.handshake(
                path: "/ws/demo",
                omitting: ["Sec-WebSocket-Version"],
                extra: [("Sec-WebSocket-Version", "8")]
            ),
            status: 426,
            reason: "unsupported Sec-WebSocket-Version (8)",
            header: ("Sec-WebSocket-Version", "13")
        ),
        Refusal(
            name: "no version",
            request: RawWebSocket.handshake(path: "/ws/demo", omitting: ["Sec-WebSocket-Version"]),
            status: 426,
            reason: "unsupported Sec-WebSocket-Version (none)",
            header: ("Sec-WebSocket-Version", "13")
        ),
        Refusal(
            name: "no Upgrade",
            request: RawWebSocket.handshake(path: "/ws/demo", omitting: ["Upgrade"]),
            status: 426,
            reason: "send 'Upgrade: websocket'",
            header: ("Upgrade", "websocket")
        ),
        Refusal(
            name: "plain GET of a stream",
            request: "GET /ws/demo HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
            status: 426,
            reason: "this endpoint speaks WebSocket"
        ),
        Refusal(
            name: "other path",
            request: RawWebSocket.handshake(path: "/socket"),
            status: 404,
            reason: "not found: /socket"
        ),
        Refusal(
            name: "invalid stream id",
            request: RawWebSocket.handshake(path: "/ws/no%20spaces"),
            status: 400,
            reason: "invalid stream id in the path"
        ),
        Refusal(
            name: "not a GET",
            request: RawWebSocket.handshake(path: "/ws/demo", extra: [("Content-Length", "0")], method: "POST"),
            status: 405,
            reason: "a WebSocket handshake must be a GET",
            header: ("Allow", "GET")
        ),
    ]

    @Test func malformedHandshakesGetTheirStatusAndReason() async throws {
        try await GatewayFixture.with { fixture in
            let port = fixture.gateway.port
            for refusal in Self.refusals {
                let response: RawWebSocket.HTTPResponse
                do {
                    response = try await blocking { try RawWebSocket.request(port: port, refusal.request) }
                } catch {
                    Issue.record("\(refusal.name): \(error)")
                    continue
                }
                #expect(response.status == refusal.status, "\(refusal.name): \(response.body)")
                #expect(response.body.contains(refusal.reason), "\(refusal.name): \(response.body)")
                #expect(response.header("Content-Type")?.hasPrefix("text/plain") == true, "\(refusal.name)")
                if let (name, value) = refusal.header {
                    #expect(response.header(name) == value, "\(refusal.name): \(name)")
                }
                #expect(response.header("Sec-WebSocket-Accept") == nil, "\(refusal.name): not upgraded")
            }
            // Refusals are counted by status.
            let refused400 = try await fixture.gateway.metric(
                #"wavecast_gateway_rejected_handshakes_total{status="400"}"#
            )
            #expect(refused400 == 4)
            let refused426 = try await fixture.gateway.metric(
                #"wavecast_gateway_rejected_handshakes_total{status="426"}"#
            )
            #expect(refused426 == 4)
        }
    }

    @Test func originsAndClientLimit() async throws {
        let limits: (inout GatewayConfiguration) -> Void = { configuration in
            configuration.allowedOrigins = ["https://ok.example"]
            configuration.maxClients = 2
        }
        try await GatewayFixture.with(gateway: limits) { fixture in
            let port = fixture.gateway.port
            let okOrigin = RawWebSocket.handshake(path: "/ws/demo", extra: [("Origin", "https://ok.example")])
            let badOrigin = RawWebSocket.handshake(path: "/ws/demo", extra: [("Origin", "https://evil.example")])
            let noOrigin = RawWebSocket.handshake(path: "/ws/demo")

            let forbidden = try await blocking { try RawWebSocket.request(port: port, badOrigin) }
            #expect(forbidden.status == 403)
            #expect(forbidden.body.contains("origin 'https://evil.example' is not allowed"))
            #expect(try await blocking { try RawWebSocket.request(port: port, noOrigin) }.status == 403)

            // Two clients fill the gateway; a third is told to go elsewhere before any upgrade.
            let first = try await blocking { try RawWebSocket(port: port) }
            let second = try await blocking { try RawWebSocket(port: port) }
            for socket in [first, second] {
                try socket.send(Array(okOrigin.utf8))
                #expect(try await blocking { try socket.readHTTPResponse() }.status == 101)
            }
            let full = try await blocking { try RawWebSocket.request(port: port, okOrigin) }
            #expect(full.status == 503)
            #expect(full.header("Retry-After") == "1")
            #expect(full.body.contains("the gateway is full"))

            // A client leaving makes room again.
            try first.sendClose(code: 1000)
            _ = try await blocking { try first.readUntilClosed() }
            var admitted = false
            for _ in 0..<50 where !admitted {
                let response = try await blocking { () -> RawWebSocket.HTTPResponse in
                    let socket = try RawWebSocket(port: port)
                    try socket.send(Array(okOrigin.utf8))
                    return try socket.readHTTPResponse()
                }
                admitted = response.status == 101
                if !admitted { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(admitted)
        }
    }

    @Test func oversizedClientFrameIsClosedWith1009() async throws {
        try await GatewayFixture.with { fixture in
            let socket = try await fixture.gateway.open("/ws/quiet")
            // The limit is 4 KiB: a frame of exactly 4096 bytes passes, one byte more does not.
            try socket.sendFrame(opcode: 0x1, payload: Array(repeating: UInt8(ascii: "a"), count: 4096))
            try socket.sendFrame(opcode: 0x9, payload: Array("still here".utf8))
            let pong = try await blocking { try socket.readFrame() }
            #expect(pong?.opcode == 0xA)
            try socket.sendFrame(opcode: 0x2, payload: Array(repeating: 0, count: 4097))
            let frames = try await blocking { try socket.readUntilClosed() }
            #expect(frames.count == 1)
            #expect(frames.first?.closeCode == 1009)
            #expect(frames.first?.masked == false)
        }
    }

    @Test func unmaskedClientFrameIsClosedWith1002() async throws {
        try await GatewayFixture.with { fixture in
            let socket = try await fixture.gateway.open("/ws/quiet")
            try socket.sendFrame(opcode: 0x1, payload: Array("hello".utf8), masked: false)
            let frames = try await blocking { try socket.readUntilClosed() }
            #expect(frames.map(\.closeCode) == [1002])
            #expect(frames.first?.closeReason == "client frames must be masked")
        }
    }

    @Test func badControlFramesAreClosedWith1002() async throws {
        try await GatewayFixture.with { fixture in
            // A control frame longer than 125 bytes.
            let long = try await fixture.gateway.open("/ws/quiet")
            try long.sendFrame(opcode: 0x9, payload: Array(repeating: 1, count: 126))
            #expect(try await blocking { try long.readUntilClosed() }.map(\.closeCode) == [1002])
            // A fragmented control frame.
            let fragmented = try await fixture.gateway.open("/ws/quiet")
            try fragmented.sendFrame(opcode: 0x9, payload: [1, 2, 3], fin: false)
            #expect(try await blocking { try fragmented.readUntilClosed() }.map(\.closeCode) == [1002])
        }
    }

    @Test func pingIsAnsweredWithAPongOfTheSamePayload() async throws {
        try await GatewayFixture.with { fixture in
            let socket = try await fixture.gateway.open("/ws/quiet")
            for payload in [[], Array("wavecast".utf8), (0..<125).map { UInt8($0) }] as [[UInt8]] {
                try socket.sendFrame(opcode: 0x9, payload: payload)
                let pong = try #require(try await blocking { try socket.readFrame() })
                #expect(pong.opcode == 0xA)
                #expect(pong.fin)
                #expect(!pong.masked)
                #expect(pong.payload == payload)
            }
            // Pongs and text from a listener are ignored: the connection stays open and quiet.
            try socket.sendFrame(opcode: 0xA, payload: [])
            try socket.sendFrame(opcode: 0x1, payload: Array("hi".utf8))
            #expect(throws: HarnessError.self) { try socket.readFrame(timeout: .milliseconds(300)) }
        }
    }

    @Test(arguments: [
        (UInt16(1000), UInt16(1000)), (1001, 1001), (4000, 4000), (999, 1002), (1005, 1002), (1006, 1002),
    ])
    func closeIsEchoedThenTCPIsClosed(sent: UInt16, echoed: UInt16) async throws {
        try await GatewayFixture.with { fixture in
            let socket = try await fixture.gateway.open("/ws/quiet")
            try socket.sendClose(code: sent, reason: "bye")
            let frames = try await blocking { try socket.readUntilClosed() }
            #expect(frames.map(\.closeCode) == [echoed])
        }
    }

    @Test func closeWithoutACodeIsEchoedWith1000() async throws {
        try await GatewayFixture.with { fixture in
            let socket = try await fixture.gateway.open("/ws/quiet")
            try socket.sendFrame(opcode: 0x8, payload: [])
            #expect(try await blocking { try socket.readUntilClosed() }.map(\.closeCode) == [1000])
        }
    }
}
