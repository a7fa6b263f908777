import NIOCore
import Testing
import WavecastCore
import WavecastTokens

@testable import Gateway

/// The Twilio session's protocol logic, on messages and times of our own (no socket, no clock).
struct TwilioSessionStateMachineTests {
    static let sid = "MZ" + String(repeating: "0", count: 32)
    static let connected = #"{"event":"connected","protocol":"Call","version":"1.0.0"}"#

    static func start(sid: String = Self.sid, parameters: String = "{}") -> String {
        #"{"event":"start","sequenceNumber":"1","streamSid":"\#(sid)","start":{"streamSid":"\#(sid)","#
            + #""callSid":"CA1","tracks":["inbound"],"customParameters":\#(parameters)}}"#
    }

    static func machine(
        path: String? = "call",
        authorization: TwilioAuthorization = .off,
        wait: UInt64 = 1_000
    ) -> TwilioSessionStateMachine {
        TwilioSessionStateMachine(
            pathStream: path.map { try! StreamID($0) },
            authorization: authorization,
            streamWait: wait
        )
    }

    static func send(
        _ text: String,
        to machine: inout TwilioSessionStateMachine,
        at now: UInt64 = 0
    )
        -> [TwilioSessionStateMachine.Action]
    {
        machine.receive(text: Array(text.utf8), now: now, wallClock: 1_700_000_000)
    }

    static func closeCode(_ actions: [TwilioSessionStateMachine.Action]) -> UInt16? {
        for case .close(let code, _) in actions { return code }
        return nil
    }

    @Test func connectedThenStartJoinsTheStreamAndTheCallGoesOn() throws {
        var machine = Self.machine()
        #expect(Self.send(Self.connected, to: &machine).isEmpty)
        let actions = Self.send(Self.start(), to: &machine)
        #expect(actions == [.join(.init(streamSid: Self.sid, callSid: "CA1", stream: try StreamID("call")))])
        #expect(machine.call?.streamSid == Self.sid)
        let media =
            #"{"event":"media","sequenceNumber":"2","media":{"track":"inbound","chunk":"1","timestamp":"0","payload":"/w=="},"streamSid":"\#(Self.sid)"}"#
        #expect(Self.send(media, to: &machine) == [.inboundMedia])
        #expect(
            Self.send(#"{"event":"dtmf","dtmf":{"track":"inbound_track","digit":"7"}}"#, to: &machine) == [.dtmf("7")]
        )
        #expect(Self.send(#"{"event":"mark","mark":{"name":"m1"}}"#, to: &machine) == [.markPlayed("m1")])
        #expect(Self.closeCode(Self.send(#"{"event":"stop","stop":{}}"#, to: &machine)) == 1000)
        #expect(machine.isClosed)
        #expect(Self.send(Self.start(), to: &machine).isEmpty)
    }

    @Test func whatComesBeforeStartMustBeConnectedOrStart() {
        for text in [
            "not json", "[1]", #"{"event":3}"#, #"{"event":"media","media":{}}"#, #"{"event":"hello"}"#,
            #"{"event":"stop"}"#, #"{"event":"start"}"#, #"{"event":"start","start":{}}"#,
        ] {
            var machine = Self.machine()
            #expect(Self.closeCode(Self.send(text, to: &machine)) == 4400, "\(text)")
            #expect(machine.isClosed)
        }
    }

    @Test func afterStartBadMessagesAreIgnoredAndASecondStartCloses() {
        var machine = Self.machine()
        _ = Self.send(Self.start(), to: &machine)
        #expect(
            Self.send("not json", to: &machine).first.map {
                if case .ignored(.invalidJSON, _) = $0 { true } else { false }
            } == true
        )
        #expect(
            Self.send(#"{"event":"hello"}"#, to: &machine).first.map {
                if case .ignored(.unknownEvent, _) = $0 { true } else { false }
            } == true
        )
        #expect(
            Self.send(#"{"event":"mark","mark":{}}"#, to: &machine).first.map {
                if case .ignored(.malformed, _) = $0 { true } else { false }
            } == true
        )
        #expect(
            Self.send(Self.connected, to: &machine).first.map {
                if case .ignored(.outOfOrder, _) = $0 { true } else { false }
            } == true
        )
        #expect(!machine.isClosed)
        #expect(Self.closeCode(Self.send(Self.start(), to: &machine)) == 4400)
    }

    @Test func theStreamComesFromThePathOrTheParameters() throws {
        var fromParameters = Self.machine(path: nil)
        _ = Self.send(Self.start(parameters: #"{"stream":"bot-7"}"#), to: &fromParameters)
        #expect(fromParameters.call?.stream == (try StreamID("bot-7")))
        var none = Self.machine(path: nil)
        #expect(Self.closeCode(Self.send(Self.start(), to: &none)) == 4404)
        var invalid = Self.machine(path: nil)
        #expect(Self.closeCode(Self.send(Self.start(parameters: #"{"stream":"a b"}"#), to: &invalid)) == 4404)
        // The path wins over a parameter.
        var both = Self.machine(path: "call")
        _ = Self.send(Self.start(parameters: #"{"stream":"other"}"#), to: &both)
        #expect(both.call?.stream == (try StreamID("call")))
    }

    @Test func theStreamMustGoLiveWithMuLaw() {
        var machine = Self.machine(wait: 1_000)
        _ = Self.send(Self.start(), to: &machine, at: 100)
        #expect(machine.check(.notLive, now: 900).isEmpty)
        #expect(Self.closeCode(machine.check(.notLive, now: 1_200)) == 4404)

        var live = Self.machine(wait: 1_000)
        _ = Self.send(Self.start(), to: &live, at: 0)
        #expect(live.check(.liveWithMuLaw, now: 10).isEmpty)
        // Once heard live, a pause between the stream's utterances does not end the call.
        #expect(live.check(.notLive, now: 1_000_000).isEmpty)
        #expect(Self.closeCode(live.check(.liveWithoutMuLaw, now: 1_000_001)) == 4415)
    }

    @Test func tokensComeFromTheURLOrTheStartParameters() throws {
        let signer = try TokenSigner(secret: Array(repeating: 7, count: 32))
        let good = signer.sign(ListenerToken(streams: ["call"], expires: 1_800_000_000))
        let other = signer.sign(ListenerToken(streams: ["elsewhere"], expires: 1_800_000_000))
        let authorization = TwilioAuthorization(tokens: signer, publicStreams: ["open-*"], urlToken: nil)

        var missing = Self.machine(authorization: authorization)
        #expect(Self.closeCode(Self.send(Self.start(), to: &missing)) == 4401)
        var bad = Self.machine(authorization: authorization)
        #expect(Self.closeCode(Self.send(Self.start(parameters: #"{"token":"x.y.z"}"#), to: &bad)) == 4401)
        var forbidden = Self.machine(authorization: authorization)
        #expect(Self.closeCode(Self.send(Self.start(parameters: #"{"token":"\#(other)"}"#), to: &forbidden)) == 4403)
        var granted = Self.machine(authorization: authorization)
        #expect(Self.closeCode(Self.send(Self.start(parameters: #"{"token":"\#(good)"}"#), to: &granted)) == nil)
        var publicStream = Self.machine(path: "open-1", authorization: authorization)
        #expect(Self.closeCode(Self.send(Self.start(), to: &publicStream)) == nil)
        var fromURL = Self.machine(
            authorization: TwilioAuthorization(
                tokens: signer,
                publicStreams: [],
                urlToken: ListenerToken(streams: ["call"], expires: 1_800_000_000)
            )
        )
        #expect(Self.closeCode(Self.send(Self.start(), to: &fromURL)) == nil)
    }

    @Test func aCallEndsWith4401WhenItsTokenRunsOut() throws {
        let signer = try TokenSigner(secret: Array(repeating: 7, count: 32))
        let start: Int64 = 1_700_000_000  // the wall clock `send` starts calls at
        let expires = start + 30
        let token = signer.sign(ListenerToken(streams: ["call"], expires: expires))
        let authorization = TwilioAuthorization(tokens: signer, publicStreams: ["open-*"], urlToken: nil)

        // From customParameters: the call goes on until the token's exp, and is closed with 4401 at it.
        var fromParameters = Self.machine(authorization: authorization)
        _ = Self.send(Self.start(parameters: #"{"token":"\#(token)"}"#), to: &fromParameters)
        #expect(fromParameters.call != nil)
        #expect(fromParameters.checkToken(wallClock: expires - 1).isEmpty)
        let actions = fromParameters.checkToken(wallClock: expires)
        #expect(Self.closeCode(actions) == 4401)
        #expect(
            actions.contains {
                if case .close(_, let reason) = $0 {
                    reason.contains("expired") && reason.contains("renew")
                } else {
                    false
                }
            },
            "\(actions)"
        )
        #expect(fromParameters.isClosed)
        #expect(fromParameters.checkToken(wallClock: expires + 1).isEmpty, "closed once")

        // From the URL (verified at the upgrade): the same, at that token's exp.
        var fromURL = Self.machine(
            authorization: TwilioAuthorization(
                tokens: signer,
                publicStreams: [],
                urlToken: ListenerToken(streams: ["call"], expires: expires)
            )
        )
        _ = Self.send(Self.start(), to: &fromURL)
        #expect(fromURL.checkToken(wallClock: expires - 1).isEmpty)
        #expect(Self.closeCode(fromURL.checkToken(wallClock: expires + 5)) == 4401)

        // A URL token that ran out between the upgrade and `start` lets nothing start.
        var late = Self.machine(
            authorization: TwilioAuthorization(
                tokens: signer,
                publicStreams: [],
                urlToken: ListenerToken(streams: ["call"], expires: start)
            )
        )
        #expect(Self.closeCode(Self.send(Self.start(), to: &late)) == 4401)

        // Before `start` there is no call to end; a public stream, or tokens off, never runs out.
        var waiting = Self.machine(authorization: authorization)
        #expect(waiting.checkToken(wallClock: .max).isEmpty)
        #expect(!waiting.isClosed)
        var open = Self.machine(path: "open-1", authorization: authorization)
        _ = Self.send(Self.start(), to: &open)
        #expect(open.checkToken(wallClock: .max).isEmpty)
        var off = Self.machine()
        _ = Self.send(Self.start(), to: &off)
        #expect(off.checkToken(wallClock: .max).isEmpty)
        #expect(!open.isClosed && !off.isClosed)
    }

    @Test func mediaFramesShareTheirTailAndCacheTheirHead() throws {
        var frames = TwilioFrames(streamSid: Self.sid)
        let tail = TwilioFrames.mediaTail([0xFF, 0x7F, 0x00])
        #expect(String(decoding: tail, as: UTF8.self) == #"/38A"}}"#)
        var head = frames.mediaHead(tailLength: tail.count)
        let again = frames.mediaHead(tailLength: tail.count)
        #expect(head == again)
        var message = head.readBytes(length: head.readableBytes)! + tail
        // A text frame, unmasked, with a 7-bit length.
        #expect(message.removeFirst() == 0x81)
        #expect(Int(message.removeFirst()) == message.count)
        #expect(
            String(decoding: message, as: UTF8.self)
                == #"{"event":"media","streamSid":"\#(Self.sid)","media":{"payload":"/38A"}}"#
        )
        var clear = frames.clear()
        let clearBytes = clear.readBytes(length: clear.readableBytes)!.dropFirst(2)
        #expect(String(decoding: clearBytes, as: UTF8.self) == #"{"event":"clear","streamSid":"\#(Self.sid)"}"#)
        var mark = frames.mark("a\"b")
        let markBytes = mark.readBytes(length: mark.readableBytes)!.dropFirst(2)
        #expect(
            String(decoding: markBytes, as: UTF8.self)
                == #"{"event":"mark","streamSid":"\#(Self.sid)","mark":{"name":"a\"b"}}"#
        )
    }
}
