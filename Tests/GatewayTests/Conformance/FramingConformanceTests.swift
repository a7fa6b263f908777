import Testing
import WavecastTestSupport

extension ConformanceTests {
    /// RFC 6455 §5: frames a server must refuse (close 1002, or 1009 past the size limit) and the
    /// control frames it must answer, each case on a fresh connection to a fresh gateway.
    @Suite struct FramingConformanceTests {
        /// One frame that breaks a rule, and the close it must get.
        struct BadFrame: Sendable, CustomTestStringConvertible {
            var name: String
            var bytes: [UInt8]

            var testDescription: String { self.name }
        }

        static let protocolErrors: [BadFrame] =
            [
                BadFrame(
                    name: "unmasked text",
                    bytes: RawWebSocket.frame(opcode: 0x1, payload: [0x68, 0x69], masked: false)
                ),
                BadFrame(name: "unmasked ping", bytes: RawWebSocket.frame(opcode: 0x9, payload: [], masked: false)),
                BadFrame(name: "RSV1 on text", bytes: RawWebSocket.frame(opcode: 0x1, payload: [0x68], rsv: 0x40)),
                BadFrame(name: "RSV2 on binary", bytes: RawWebSocket.frame(opcode: 0x2, payload: [1], rsv: 0x20)),
                BadFrame(name: "RSV3 on ping", bytes: RawWebSocket.frame(opcode: 0x9, payload: [], rsv: 0x10)),
                BadFrame(name: "RSV1-3 on text", bytes: RawWebSocket.frame(opcode: 0x1, payload: [], rsv: 0x70)),
                BadFrame(name: "fragmented ping", bytes: RawWebSocket.frame(opcode: 0x9, payload: [1], fin: false)),
                BadFrame(name: "fragmented pong", bytes: RawWebSocket.frame(opcode: 0xA, payload: [1], fin: false)),
                BadFrame(
                    name: "fragmented close",
                    bytes: RawWebSocket.frame(opcode: 0x8, payload: [3, 232], fin: false)
                ),
                BadFrame(
                    name: "ping of 126 bytes",
                    bytes: RawWebSocket.frame(opcode: 0x9, payload: Array(repeating: 1, count: 126))
                ),
                BadFrame(
                    name: "pong of 126 bytes",
                    bytes: RawWebSocket.frame(opcode: 0xA, payload: Array(repeating: 1, count: 126))
                ),
                BadFrame(
                    name: "close of 126 bytes",
                    bytes: RawWebSocket.frame(opcode: 0x8, payload: [3, 232] + Array(repeating: 0x61, count: 124))
                ),
            ]
            + ([0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF] as [UInt8]).map { opcode in
                BadFrame(name: "reserved opcode \(opcode)", bytes: RawWebSocket.frame(opcode: opcode, payload: [1, 2]))
            }

        @Test(arguments: Self.protocolErrors)
        func protocolErrorIsClosedWith1002(_ frame: BadFrame) async throws {
            let socket = try await ConformanceGateway.open()
            try socket.send(frame.bytes)
            let before = try await socket.expectClose(1002)
            #expect(before.isEmpty, "frames before the close: \(before.map(\.opcode))")
        }

        @Test(arguments: [0x1, 0x2] as [UInt8])
        func messageOverTheLimitIsClosedWith1009BeforeItsBodyIsSent(opcode: UInt8) async throws {
            let socket = try await ConformanceGateway.open()
            // Only the header of a 10 MB frame: the close must come without the body, so nothing was buffered.
            try socket.send(RawWebSocket.frameHeader(opcode: opcode, length: 10 * 1024 * 1024))
            let started = ContinuousClock.now
            let close = try await socket.nextFrame()
            #expect(close?.closeCode == 1009, "\(String(describing: close))")
            let closeFrameAfter = ContinuousClock.now - started
            let rest = try await blocking { try socket.readUntilClosed() }
            #expect(rest.isEmpty, "frames after the close: \(rest.map(\.opcode))")
            print(
                "[conformance] 10 MB frame header: close 1009 after \(closeFrameAfter), "
                    + "TCP closed after \(ContinuousClock.now - started)"
            )
        }

        @Test func fragmentedMessageOverTheLimitIsClosedWith1009() async throws {
            let socket = try await ConformanceGateway.open()
            // 3 fragments of 2,000 bytes: each frame is within the 4 KiB limit, the message is not.
            let part = Array(repeating: UInt8(ascii: "a"), count: 2000)
            try socket.sendFrame(opcode: 0x1, payload: part, fin: false)
            try socket.sendFrame(opcode: 0x0, payload: part, fin: false)
            try socket.sendFrame(opcode: 0x0, payload: part, fin: true)
            try await socket.expectClose(1009)
        }

        @Test func messageAtTheLimitIsAccepted() async throws {
            let socket = try await ConformanceGateway.open()
            try socket.sendFrame(opcode: 0x2, payload: Array(repeating: 0, count: 4096))
            let half = Array(repeating: UInt8(ascii: "a"), count: 2048)
            try socket.sendFrame(opcode: 0x1, payload: half, fin: false)
            try socket.sendFrame(opcode: 0x0, payload: half, fin: true)
            try await socket.expectOpen()
        }

        @Test(arguments: [0, 125])
        func pingIsAnsweredWithAPongOfTheSamePayload(size: Int) async throws {
            let socket = try await ConformanceGateway.open()
            let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7) }
            try socket.sendFrame(opcode: 0x9, payload: payload)
            let pong = try #require(try await socket.nextFrame())
            #expect(pong.opcode == 0xA)
            #expect(pong.fin && !pong.masked)
            #expect(pong.payload == payload)
        }

        @Test func unsolicitedPongIsIgnored() async throws {
            let socket = try await ConformanceGateway.open()
            try socket.sendFrame(opcode: 0xA, payload: Array("unsolicited".utf8))
            try await socket.expectOpen()
        }
    }
}
