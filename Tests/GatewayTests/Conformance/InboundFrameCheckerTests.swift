import NIOCore
import NIOWebSocket
import Testing

@testable import Gateway

/// ``InboundFrameChecker`` and ``UTF8Validator`` on their own, without I/O: the rules the
/// conformance suites check over sockets, one frame at a time.
@Suite struct InboundFrameCheckerTests {
    /// A masked client frame, as NIO's decoder hands it over.
    static func frame(
        _ opcode: WebSocketOpcode,
        _ payload: [UInt8] = [],
        fin: Bool = true,
        rsv1: Bool = false,
        masked: Bool = true
    ) -> WebSocketFrame {
        let key: WebSocketMaskingKey? = masked ? WebSocketMaskingKey([0x12, 0x34, 0x56, 0x78]) : nil
        var data = ByteBuffer(bytes: payload)
        if let key { data.webSocketMask(key) }
        return WebSocketFrame(fin: fin, rsv1: rsv1, opcode: opcode, maskKey: key, data: data)
    }

    @Test func pingIsAnsweredAndPongIgnored() {
        var checker = InboundFrameChecker(maxMessageBytes: 4096)
        #expect(checker.receive(Self.frame(.ping, [1, 2, 3])) == .pong([1, 2, 3]))
        #expect(checker.receive(Self.frame(.pong, [9])) == .none)
    }

    @Test func framesBreakingTheRulesAreProtocolErrors() {
        let frames = [
            Self.frame(.text, Array("hi".utf8), masked: false),
            Self.frame(.text, rsv1: true),
            Self.frame(.continuation),
            Self.frame(WebSocketOpcode(encodedWebSocketOpcode: 0x3)!),
            Self.frame(WebSocketOpcode(encodedWebSocketOpcode: 0xB)!),
            Self.frame(.ping, fin: false),
            Self.frame(.ping, Array(repeating: 0, count: 126)),
        ]
        for frame in frames {
            var checker = InboundFrameChecker(maxMessageBytes: 4096)
            guard case .close(1002, _) = checker.receive(frame) else {
                Issue.record("\(frame) was not refused with 1002")
                continue
            }
        }
    }

    @Test func fragmentsMustFollowTheirMessage() {
        var checker = InboundFrameChecker(maxMessageBytes: 4096)
        #expect(checker.receive(Self.frame(.binary, [1], fin: false)) == .none)
        #expect(checker.receive(Self.frame(.ping)) == .pong([]))
        #expect(checker.receive(Self.frame(.continuation, [2], fin: true)) == .none)
        #expect(checker.receive(Self.frame(.text, [0x61], fin: false)) == .none)
        guard case .close(1002, _) = checker.receive(Self.frame(.text, [0x62])) else {
            Issue.record("a new message inside another was accepted")
            return
        }
    }

    @Test func messageSizeCountsEveryFragment() {
        var checker = InboundFrameChecker(maxMessageBytes: 10)
        #expect(checker.receive(Self.frame(.binary, Array(repeating: 0, count: 6), fin: false)) == .none)
        guard case .close(1009, _) = checker.receive(Self.frame(.continuation, Array(repeating: 0, count: 5))) else {
            Issue.record("an 11-byte message passed a 10-byte limit")
            return
        }
        // Exactly at the limit, twice: each whole text message is handed on (a token renewal is one).
        var fresh = InboundFrameChecker(maxMessageBytes: 10)
        let text = Array(repeating: UInt8(0x61), count: 10)
        #expect(fresh.receive(Self.frame(.text, text)) == .text(text))
        #expect(fresh.receive(Self.frame(.text, text)) == .text(text))
    }

    @Test func onlyAWholeOneFrameTextMessageIsHandedOn() {
        var checker = InboundFrameChecker(maxMessageBytes: 100)
        #expect(checker.receive(Self.frame(.binary, [1, 2])) == .none, "binary is not kept")
        #expect(checker.receive(Self.frame(.text, Array("ab".utf8), fin: false)) == .none)
        #expect(checker.receive(Self.frame(.continuation, Array("cd".utf8))) == .none, "fragments are not buffered")
    }

    @Test func closeIsAnsweredByItsCodeAndReason() {
        let cases: [([UInt8], UInt16)] = [
            ([], 1000), ([0x03, 0xE8], 1000), ([0x0F, 0xA0] + Array("bye".utf8), 4000), ([0x03, 0xED], 1002),
            ([0x03], 1002), ([0x03, 0xE8, 0xFF], 1007), ([0x03, 0xF5], 1013),
        ]
        for (payload, code) in cases {
            var checker = InboundFrameChecker(maxMessageBytes: 4096)
            guard case .close(let answer, _) = checker.receive(Self.frame(.connectionClose, payload)) else {
                Issue.record("no close for \(payload)")
                continue
            }
            #expect(answer == code, "\(payload)")
        }
    }

    @Test func utf8IsValidatedAcrossFragments() {
        var checker = InboundFrameChecker(maxMessageBytes: 4096)
        #expect(checker.receive(Self.frame(.text, [0x61, 0xF0, 0x9F], fin: false)) == .none)
        #expect(checker.receive(Self.frame(.continuation, [0x98], fin: false)) == .none)
        #expect(checker.receive(Self.frame(.continuation, [0x80])) == .none)
        #expect(checker.receive(Self.frame(.text, [0xE2, 0x82], fin: false)) == .none)
        guard case .close(1007, _) = checker.receive(Self.frame(.continuation, [])) else {
            Issue.record("a message ending inside a code point was accepted")
            return
        }
    }

    @Test func utf8ValidatorAgreesWithTheStandardLibrary() {
        // Every 1-, 2- and 3-byte sequence from a set of interesting bytes, judged by both.
        let interesting: [UInt8] = [
            0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xEC, 0xED,
            0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF,
        ]
        var sequences: [[UInt8]] = interesting.map { [$0] }
        for a in interesting { for b in interesting { sequences.append([a, b]) } }
        for a in interesting where a >= 0xE0 {
            for b in interesting { for c in interesting { sequences.append([a, b, c]) } }
        }
        sequences += [
            [0xF0, 0x9F, 0x98, 0x80], [0xF4, 0x8F, 0xBF, 0xBF], [0xF4, 0x90, 0x80, 0x80], [0xF0, 0x8F, 0xBF, 0xBF],
        ]
        for sequence in sequences {
            var validator = UTF8Validator()
            let ours = validator.consume(sequence) && validator.isComplete
            let standard = String(validating: sequence, as: UTF8.self) != nil
            #expect(ours == standard, "\(sequence.map { String($0, radix: 16) })")
        }
    }
}
