import Testing
import WavecastTestSupport

extension ConformanceTests {
    /// RFC 6455 §5.4 and §8.1: fragmented messages, control frames between fragments, and UTF-8 in
    /// text messages, checked as the fragments come (a code point may be split between them).
    @Suite struct FragmentationConformanceTests {
        /// A message sent as `fragments` (the first with `opcode`, the rest continuations; FIN on the last).
        struct Message: Sendable, CustomTestStringConvertible {
            var name: String
            var fragments: [[UInt8]]
            var opcode: UInt8 = 0x1
            /// Whether the last fragment has FIN: false leaves the message open.
            var finished = true

            var testDescription: String { self.name }

            func send(on socket: RawWebSocket) throws {
                for (index, fragment) in self.fragments.enumerated() {
                    let last = index == self.fragments.count - 1
                    try socket.sendFrame(
                        opcode: index == 0 ? self.opcode : 0x0,
                        payload: fragment,
                        fin: last && self.finished
                    )
                }
            }
        }

        static let kosme: [UInt8] = Array("κόσμε".utf8)

        static let invalidUTF8: [Message] = [
            Message(name: "byte 0xFF", fragments: [[0x61, 0xFF, 0x62]]),
            Message(name: "lone continuation byte", fragments: [[0x80]]),
            Message(name: "overlong NUL (C0 80)", fragments: [[0xC0, 0x80]]),
            Message(name: "overlong slash (E0 80 AF)", fragments: [[0xE0, 0x80, 0xAF]]),
            Message(name: "surrogate U+D800", fragments: [Self.kosme + [0xED, 0xA0, 0x80] + Array("edited".utf8)]),
            Message(name: "past U+10FFFF (F4 90 80 80)", fragments: [[0xF4, 0x90, 0x80, 0x80]]),
            Message(name: "truncated code point at the end", fragments: [Array("ab".utf8) + [0xE2, 0x82]]),
            Message(
                name: "surrogate in the second fragment",
                fragments: [Self.kosme, [0xED, 0xA0, 0x80], Array("!".utf8)]
            ),
            Message(
                name: "split code point broken in the next fragment",
                fragments: [[0x61, 0xF0], [0x90, 0x80], [0x28]]
            ),
            Message(
                name: "truncated code point at the end of the final fragment",
                fragments: [Self.kosme, [0xF0, 0x9F, 0x98]]
            ),
            Message(
                name: "invalid first fragment of an unfinished message (fail fast)",
                fragments: [Self.kosme + [0xFF]],
                finished: false
            ),
        ]

        @Test(arguments: Self.invalidUTF8)
        func invalidUTF8InATextMessageIsClosedWith1007(_ message: Message) async throws {
            let socket = try await ConformanceGateway.open()
            try message.send(on: socket)
            try await socket.expectClose(1007)
        }

        static let validMessages: [Message] =
            [
                Message(name: "text in one frame", fragments: [Self.kosme]),
                Message(name: "empty text", fragments: [[]]),
                Message(
                    name: "boundary code points",
                    fragments: [[0xED, 0x9F, 0xBF, 0xEE, 0x80, 0x80, 0xEF, 0xBF, 0xBF, 0xF4, 0x8F, 0xBF, 0xBF]]
                ),
                Message(name: "emoji one byte per fragment", fragments: [[0xF0], [0x9F], [0x98], [0x80]]),
                Message(name: "empty fragments", fragments: [[], Self.kosme, [], []]),
                Message(name: "binary that is not UTF-8", fragments: [[0xFF, 0xC0], [0x80]], opcode: 0x2),
            ]
            + (1..<Self.kosme.count).map { cut in
                Message(
                    name: "κόσμε split at byte \(cut)",
                    fragments: [Array(Self.kosme[..<cut]), Array(Self.kosme[cut...])]
                )
            }

        @Test(arguments: Self.validMessages)
        func validMessageIsAccepted(_ message: Message) async throws {
            let socket = try await ConformanceGateway.open()
            try message.send(on: socket)
            try await socket.expectOpen()
        }

        @Test(arguments: [0x1, 0x2] as [UInt8])
        func pingsBetweenFragmentsAreAnswered(opcode: UInt8) async throws {
            let socket = try await ConformanceGateway.open()
            try socket.sendFrame(opcode: opcode, payload: Array("Hello, ".utf8), fin: false)
            try socket.sendFrame(opcode: 0x9, payload: Array("ping 1".utf8))
            try socket.sendFrame(opcode: 0x0, payload: Array("wor".utf8), fin: false)
            try socket.sendFrame(opcode: 0x9, payload: Array("ping 2".utf8))
            try socket.sendFrame(opcode: 0xA, payload: Array("a pong".utf8))
            try socket.sendFrame(opcode: 0x0, payload: Array("ld!".utf8), fin: true)
            for expected in ["ping 1", "ping 2"] {
                let pong = try #require(try await socket.nextFrame())
                #expect(pong.opcode == 0xA)
                #expect(pong.payload == Array(expected.utf8))
            }
            try await socket.expectOpen()
            // The message ended: a new one may begin.
            try socket.sendFrame(opcode: 0x1, payload: Array("next".utf8))
            try await socket.expectOpen()
        }

        @Test(arguments: [true, false])
        func continuationWithoutAMessageIsClosedWith1002(fin: Bool) async throws {
            let socket = try await ConformanceGateway.open()
            try socket.sendFrame(opcode: 0x0, payload: Array("orphan".utf8), fin: fin)
            try await socket.expectClose(1002)
        }

        @Test func continuationAfterAFinishedMessageIsClosedWith1002() async throws {
            let socket = try await ConformanceGateway.open()
            try socket.sendFrame(opcode: 0x1, payload: Array("whole".utf8))
            try socket.sendFrame(opcode: 0x0, payload: Array("more".utf8))
            try await socket.expectClose(1002)
        }

        @Test(arguments: [0x1, 0x2] as [UInt8])
        func newMessageWhileOneIsOpenIsClosedWith1002(opcode: UInt8) async throws {
            let socket = try await ConformanceGateway.open()
            try socket.sendFrame(opcode: 0x1, payload: Array("first ".utf8), fin: false)
            try socket.sendFrame(opcode: opcode, payload: Array("second".utf8))
            try await socket.expectClose(1002)
        }
    }
}
