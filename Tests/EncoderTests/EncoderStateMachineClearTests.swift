import Testing
import WavecastCore

@testable import Encoder

/// `clear` (barge-in) in the machine: queued audio dropped, a clear published in order, the stream kept.
extension EncoderStateMachineTests {
    @Test func clearDropsAFilesQueuedAudioPublishesAClearAndTheStreamEndsAfterWhatWasPlayed() throws {
        var fixture = Fixture()
        _ = try fixture.play("bot", (1...5).map { Self.chunk($0) })
        #expect(fixture.tick(at: Self.start).published.map(\.header.kind) == [.start, .catalogue, .chunk])
        #expect(fixture.tick(at: Self.at(milliseconds: 72)).published.map(\.header.sequence) == [1])
        fixture.machine.tick(now: Self.at(milliseconds: 100), into: &fixture.actions)
        fixture.actions.removeAll()

        let actions = fixture.request(#"{"op":"clear","stream":"bot","id":3}"#)
        let clear = try #require(actions.published.first)
        #expect(actions.published.count == 1)
        #expect(clear.header.kind == .clear && clear.streamID == "bot")
        #expect(clear.header.sequence == 2, "the next chunk's number")
        #expect(clear.header.timestampSamples == 2 * 576)
        #expect(actions.count == 2, "the clear, then the reply")
        let reply = try #require(actions.compactMap { if case .reply(let r, _, _) = $0 { r } else { nil } }.first)
        #expect(reply.body["cleared"] == .bool(true) && reply.body["op"] == .string("clear"))
        // Nothing more of the dropped audio; the end comes when what was published has played (144 ms).
        #expect(fixture.tick(at: Self.at(milliseconds: 143)).isEmpty)
        #expect(fixture.tick(at: Self.at(milliseconds: 144)).published.map(\.header.kind) == [.end, .catalogue])
        // A new subscriber is not replayed the audio before the clear.
        #expect(fixture.subscription([1] + Array("bot".utf8)).published.isEmpty)
    }

    @Test func aClearedLiveStreamStaysOpenAndItsNextAudioGoesOutAtOnce() throws {
        var fixture = Fixture()
        let open = try #require(
            fixture.request(#"{"op":"open","stream":"live","sample_rate":8000,"channels":1}"#).onlyJob
        )
        _ = fixture.result(open, .opened)
        let pcm = try #require(fixture.request(#"{"op":"pcm","stream":"live"}"#, payload: [0, 0]).onlyJob)
        _ = fixture.result(pcm, .encoded((1...4).map { Self.chunk($0) }, frames: 4))
        #expect(fixture.tick(at: Self.start).published.map(\.header.kind) == [.start, .catalogue, .chunk])
        // PCM in flight when the clear comes is dropped when it returns (its reply still comes).
        let inFlight = try #require(fixture.request(#"{"op":"pcm","stream":"live"}"#, payload: [0, 0]).onlyJob)
        let cleared = fixture.request(#"{"op":"clear","stream":"live"}"#, at: Self.at(milliseconds: 10))
        #expect(cleared.published.map(\.header.kind) == [.clear])
        #expect(fixture.result(inFlight, .encoded([Self.chunk(9)], frames: 1)).onlyReply != nil)
        #expect(fixture.tick(at: Self.at(milliseconds: 500)).isEmpty, "the dropped chunks and the stale piece")
        // Still open: new PCM plays at once, numbered on from the clear.
        let next = try #require(fixture.request(#"{"op":"pcm","stream":"live"}"#, payload: [0, 0]).onlyJob)
        _ = fixture.result(next, .encoded([Self.chunk(5)], frames: 1), at: Self.at(milliseconds: 600))
        let resumed = fixture.tick(at: Self.at(milliseconds: 600)).published
        #expect(resumed.map(\.header.kind) == [.chunk])
        #expect(resumed.first?.header.sequence == 1)
        #expect(resumed.first?.payload == [0xFF, 0xFB, 5])
    }

    @Test func clearingAStreamNobodyKnowsIsNotAnError() throws {
        var fixture = Fixture()
        let reply = try #require(fixture.request(#"{"op":"clear","stream":"nobody"}"#).onlyReply)
        #expect(reply.body["ok"] == .bool(true) && reply.body["cleared"] == .bool(false))
    }
}
