import Testing
import WavecastTestSupport

extension ConformanceTests {
    /// RFC 6455 §5.5.1 and §7.4: the closing handshake. A valid close is echoed with its code and the
    /// server closes TCP; an invalid code or a 1-byte payload is a protocol error (1002), a reason that
    /// is not UTF-8 is 1007; after its close frame the server sends nothing more.
    @Suite struct CloseConformanceTests {
        static let invalidCodes: [UInt16] = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535]
        static let validCodes: [UInt16] = [
            1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999,
        ]

        @Test(arguments: Self.validCodes)
        func validCloseIsEchoedThenTCPIsClosed(code: UInt16) async throws {
            let socket = try await ConformanceGateway.open()
            try socket.sendClose(code: code, reason: "bye")
            try await socket.expectClose(code)
        }

        @Test func closeWithoutAPayloadIsEchoedWith1000() async throws {
            let socket = try await ConformanceGateway.open()
            try socket.sendFrame(opcode: 0x8, payload: [])
            try await socket.expectClose(1000)
        }

        @Test(arguments: Self.invalidCodes)
        func closeWithAnInvalidCodeIsAnsweredWith1002(code: UInt16) async throws {
            let socket = try await ConformanceGateway.open()
            try socket.sendClose(code: code)
            try await socket.expectClose(1002)
        }

        @Test func closeWithA1BytePayloadIsAnsweredWith1002() async throws {
            let socket = try await ConformanceGateway.open()
            try socket.sendFrame(opcode: 0x8, payload: [0x03])
            try await socket.expectClose(1002)
        }

        @Test func closeWithAReasonThatIsNotUTF8IsAnsweredWith1007() async throws {
            let socket = try await ConformanceGateway.open()
            try socket.sendFrame(
                opcode: 0x8,
                payload: [0x03, 0xE8] + Array("bye ".utf8) + [0xCE, 0xBA, 0xE1, 0xBD]
            )
            try await socket.expectClose(1007)
        }

        @Test func closeWithAUTF8ReasonIsEchoed() async throws {
            let socket = try await ConformanceGateway.open()
            try socket.sendClose(code: 1000, reason: "κόσμε 👋")
            try await socket.expectClose(1000)
        }

        @Test func nothingArrivesAfterTheServersCloseFrame() async throws {
            let socket = try await ConformanceGateway.open()
            // One write: a ping, a frame that gets the connection closed, then more pings. Only the first ping
            // is answered; the close frame is the last thing sent.
            let bytes =
                RawWebSocket.frame(opcode: 0x9, payload: Array("before".utf8))
                + RawWebSocket.frame(opcode: 0x1, payload: Array("unmasked".utf8), masked: false)
                + RawWebSocket.frame(opcode: 0x9, payload: Array("after 1".utf8))
                + RawWebSocket.frame(opcode: 0x9, payload: Array("after 2".utf8))
            try socket.send(bytes)
            let before = try await socket.expectClose(1002)
            #expect(before.map(\.opcode) == [0xA])
            #expect(before.first?.payload == Array("before".utf8))
        }

        @Test func nothingArrivesAfterTheEchoedClose() async throws {
            let socket = try await ConformanceGateway.open()
            try socket.send(
                RawWebSocket.frame(opcode: 0x8, payload: [0x03, 0xE8])
                    + RawWebSocket.frame(opcode: 0x9, payload: Array("after".utf8))
            )
            #expect(try await socket.expectClose(1000).isEmpty)
        }

        @Test func nothingArrivesAfterTheCloseFrameWhileAStreamPlays() async throws {
            try await GatewayFixture.with { fixture in
                let socket = try await fixture.gateway.open("/ws/closing")
                try await fixture.ingest.play("closing", TestAudio.wav(seconds: 3))
                // Wait for the stream to flow, then break a rule while chunks keep coming.
                var chunks = 0
                while chunks < 3 {
                    let frame = try #require(try await socket.nextFrame())
                    if frame.opcode == 0x1 && frame.text.contains(#""event":"chunk""#) { chunks += 1 }
                }
                try socket.sendFrame(opcode: 0x1, payload: Array("unmasked".utf8), masked: false)
                let before = try await socket.expectClose(1002)
                #expect(before.allSatisfy { $0.opcode == 0x1 })
            }
        }
    }
}
