import Testing
import WavecastCore

@testable import Encoder

/// Playback marks in the machine: placed behind the audio accepted before them, published right after the chunk
/// before them, cut by `clear`, ended by `stop`, and followed to the listeners' echoes through gateways' reports.
extension EncoderStateMachineTests {
    /// Sends `name` as a mark on `stream` and brings it back from the encoding thread; returns the reply.
    static func mark(_ fixture: inout Fixture, _ stream: String, _ name: String) throws -> IngestReply {
        let job = try #require(fixture.request(#"{"op":"mark","stream":"\#(stream)","name":"\#(name)"}"#).onlyJob)
        guard case .mark(let markName) = job.work else {
            Issue.record("a mark is not handed to the encoding thread as a mark: \(job.work)")
            throw CancellationError()
        }
        #expect(markName == name)
        return try #require(fixture.result(job, .marked(name: name)).onlyReply)
    }

    /// The `marks` reply's entries for `stream`, by name.
    static func marks(_ fixture: inout Fixture, _ stream: String) throws -> [String: JSONObject] {
        let reply = try #require(fixture.request(#"{"op":"marks","stream":"\#(stream)"}"#).onlyReply)
        guard case .array(let marks)? = reply.body["marks"] else { throw CancellationError() }
        var byName: [String: JSONObject] = [:]
        for case .object(let mark) in marks {
            if case .string(let name)? = mark["name"] { byName[name] = mark }
        }
        return byName
    }

    @Test func aMarkBehindAFileIsPublishedWithTheChunkBeforeIt() throws {
        var fixture = Fixture()
        _ = try fixture.play("bot", (1...3).map { Self.chunk($0) })
        let reply = try Self.mark(&fixture, "bot", "done")
        #expect(reply.body["state"] == .string("queued") && reply.body["queued_ms"] == .number(216))
        let first = fixture.tick(at: Self.start).published
        #expect(first.map(\.header.kind) == [.start, .catalogue, .chunk])
        #expect(fixture.tick(at: Self.at(milliseconds: 72)).published.map(\.header.kind) == [.chunk])
        // The last chunk and the mark in the same tick, the mark behind it.
        let last = fixture.tick(at: Self.at(milliseconds: 144)).published
        #expect(last.map(\.header.kind) == [.chunk, .mark])
        let mark = try #require(last.last)
        #expect(mark.payload == Array("done".utf8) && mark.streamID == "bot")
        #expect(mark.header.sequence == 3 && mark.header.timestampSamples == 3 * 576)
        #expect(mark.header.epoch == first[0].header.epoch && mark.header.epoch != 0)
        #expect(try Self.marks(&fixture, "bot")["done"]?["state"] == .string("published"))
        #expect(fixture.metricValue("wavecast_encoder_marks_total") == 1)
        // The stream still ends when its audio has played.
        #expect(fixture.tick(at: Self.at(milliseconds: 216)).published.map(\.header.kind) == [.end, .catalogue])
    }

    @Test func aMarkAfterEverythingPublishedGoesOutAtOnce() throws {
        var fixture = Fixture()
        let open = try #require(
            fixture.request(#"{"op":"open","stream":"live","sample_rate":8000,"channels":1}"#).onlyJob
        )
        _ = fixture.result(open, .opened)
        let pcm = try #require(fixture.request(#"{"op":"pcm","stream":"live"}"#, payload: [0, 0]).onlyJob)
        _ = fixture.result(pcm, .encoded([Self.chunk(1)], frames: 1))
        _ = fixture.tick(at: Self.start)
        let job = try #require(fixture.request(#"{"op":"mark","stream":"live","name":"now"}"#).onlyJob)
        let actions = fixture.result(job, .marked(name: "now"), at: Self.at(milliseconds: 500))
        #expect(actions.published.map(\.header.kind) == [.mark])
        #expect(actions.published.first?.header.sequence == 1)
        #expect(actions.count == 2, "the mark, then the reply")
        let reply = try #require(
            actions.compactMap { if case .reply(let reply, _, _) = $0 { reply } else { nil } }.first
        )
        #expect(reply.body["state"] == .string("published"))
    }

    @Test func aLiveStreamsFlushedTailGoesOutBeforeItsMark() throws {
        var fixture = Fixture()
        let open = try #require(
            fixture.request(#"{"op":"open","stream":"live","sample_rate":8000,"channels":1}"#).onlyJob
        )
        _ = fixture.result(open, .opened)
        let pcm = try #require(fixture.request(#"{"op":"pcm","stream":"live"}"#, payload: [0, 0]).onlyJob)
        _ = fixture.result(pcm, .encoded([Self.chunk(1)], frames: 1))
        let job = try #require(fixture.request(#"{"op":"mark","stream":"live","name":"tail"}"#).onlyJob)
        // The encoding thread flushed LAME for the mark: two more chunks, which go before it.
        let reply = try #require(
            fixture.result(job, .marked(name: "tail", chunks: [Self.chunk(2), Self.chunk(3)])).onlyReply
        )
        #expect(reply.body["state"] == .string("queued") && reply.body["queued_ms"] == .number(216))
        _ = fixture.tick(at: Self.start)
        _ = fixture.tick(at: Self.at(milliseconds: 72))
        let last = fixture.tick(at: Self.at(milliseconds: 144)).published
        #expect(last.map(\.header.kind) == [.chunk, .mark])
        #expect(last.first?.payload == [0xFF, 0xFB, 3] && last.last?.header.sequence == 3)
    }

    @Test func aMarkBeforeAnyAudioStartsTheStreamAndGoesOut() throws {
        var fixture = Fixture()
        let open = try #require(
            fixture.request(#"{"op":"open","stream":"live","sample_rate":8000,"channels":1}"#).onlyJob
        )
        _ = fixture.result(open, .opened)
        #expect(try Self.mark(&fixture, "live", "hello").body["state"] == .string("queued"))
        let published = fixture.tick(at: Self.start).published
        #expect(published.map(\.header.kind) == [.start, .catalogue, .mark])
        #expect(published.last?.header.timestampSamples == 0)
    }

    @Test func marksAreRefusedForUnknownStreamsAndRepeatedNames() throws {
        var fixture = Fixture()
        let unknown = try #require(fixture.request(#"{"op":"mark","stream":"nobody","name":"x"}"#).onlyReply)
        #expect(unknown.body["error"] == .string("unknown_stream"))
        _ = try fixture.play("bot", [Self.chunk(1)])
        _ = try Self.mark(&fixture, "bot", "a")
        let again = try #require(fixture.request(#"{"op":"mark","stream":"bot","name":"a"}"#).onlyReply)
        #expect(again.body["error"] == .string("duplicate_mark"))
        guard case .string(let message)? = again.body["message"] else { throw CancellationError() }
        #expect(message.contains("'a-2'"), "\(message)")
    }

    @Test func aClearCutsQueuedAndInFlightMarksAndAStopEndsThem() throws {
        var fixture = Fixture()
        _ = try fixture.play("bot", (1...5).map { Self.chunk($0) })
        _ = try Self.mark(&fixture, "bot", "queued")
        _ = fixture.tick(at: Self.start)
        // One more mark still on the encoding thread when the clear comes.
        let inFlight = try #require(fixture.request(#"{"op":"mark","stream":"bot","name":"flying"}"#).onlyJob)
        let cleared = fixture.request(#"{"op":"clear","stream":"bot"}"#, at: Self.at(milliseconds: 10))
        #expect(cleared.published.map(\.header.kind) == [.clear])
        let late = try #require(fixture.result(inFlight, .marked(name: "flying")).onlyReply)
        #expect(late.body["state"] == .string("cleared"))
        #expect(fixture.tick(at: Self.at(milliseconds: 1000)).published.allSatisfy { $0.header.kind != .mark })
        var report = try Self.marks(&fixture, "bot")
        #expect(report["queued"]?["state"] == .string("cleared") && report["flying"]?["state"] == .string("cleared"))

        _ = try fixture.play("other", (1...5).map { Self.chunk($0) })
        _ = try Self.mark(&fixture, "other", "never")
        _ = fixture.request(#"{"op":"stop","stream":"other"}"#)
        report = try Self.marks(&fixture, "other")
        #expect(report["never"]?["state"] == .string("ended"))
    }

    @Test func gatewaysReportsAddUpAndAnEchoMakesAMarkPlayed() throws {
        var fixture = Fixture()
        _ = try fixture.play("bot", [Self.chunk(1)])
        _ = try Self.mark(&fixture, "bot", "m")
        let published = fixture.tick(at: Self.start).published
        let epoch = try #require(published.last { $0.header.kind == .mark }?.header.epoch)
        func report(_ gateway: String, sent: Int, echoed: Int, epoch: UInt32 = epoch) -> [UInt8] {
            let stream = try! StreamID("bot")
            return BusMarkReport(
                gateway: gateway,
                entries: [.init(stream: stream, epoch: epoch, name: "m", sent: sent, echoed: echoed)]
            ).encode()
        }
        _ = fixture.upstream(report("gw-a", sent: 2, echoed: 0), at: Self.at(milliseconds: 100))
        var mark = try #require(try Self.marks(&fixture, "bot")["m"])
        #expect(mark["state"] == .string("published") && mark["sent"] == .number(2) && mark["echoed"] == .number(0))
        _ = fixture.upstream(report("gw-a", sent: 0, echoed: 1), at: Self.at(milliseconds: 250))
        _ = fixture.upstream(report("gw-b", sent: 1, echoed: 1), at: Self.at(milliseconds: 400))
        // Another incarnation's mark of the same name is not this one.
        _ = fixture.upstream(report("gw-c", sent: 9, echoed: 9, epoch: epoch &+ 1), at: Self.at(milliseconds: 400))
        mark = try #require(try Self.marks(&fixture, "bot")["m"])
        #expect(mark["state"] == .string("played"))
        #expect(mark["sent"] == .number(3) && mark["echoed"] == .number(2))
        #expect(mark["first_echo_ms"] == .number(250) && mark["last_echo_ms"] == .number(400))
        guard case .object(let gateways)? = mark["gateways"] else {
            Issue.record("no gateways: \(mark)")
            return
        }
        #expect(gateways.members.map(\.key) == ["gw-a", "gw-b"])
        #expect(fixture.metricValue("wavecast_encoder_mark_reports_total") == 4)
    }

    @Test(
        arguments: [
            [2] + Array("not json".utf8),
            [2] + Array(#"{"gateway":"","marks":[]}"#.utf8),
            [2]
                + Array(
                    #"{"gateway":"g","marks":[{"stream":"bot","epoch":0,"name":"m","sent":1,"echoed":0,"cut":false}]}"#
                        .utf8
                ),
            [2]
                + Array(
                    #"{"gateway":"g","marks":[{"stream":"b t","epoch":1,"name":"m","sent":1,"echoed":0,"cut":false}]}"#
                        .utf8
                ),
            [2]
                + Array(
                    #"{"gateway":"g","marks":[{"stream":"bot","epoch":1,"name":"m","sent":-1,"echoed":0,"cut":false}]}"#
                        .utf8
                ),
            [2]
                + Array(
                    #"{"gateway":"g","marks":[{"stream":"bot","epoch":1,"name":"","sent":1,"echoed":0,"cut":false}]}"#
                        .utf8
                ),
            [2] + Array(#"{"gateway":"g","marks":[{"stream":"bot","epoch":1,"name":"m","sent":1,"echoed":0}]}"#.utf8),
            [2] + Array(#"{"gateway":"g","marks":{}}"#.utf8),
            [2] + [UInt8](repeating: 0x20, count: BusMarkReport.maximumBytes),
        ] as [[UInt8]]
    )
    func aMalformedReportIsCountedAndNamed(frame: [UInt8]) throws {
        var fixture = Fixture()
        var actions: [Action] = []
        let error = fixture.machine.receive(upstream: [frame], now: Self.start, into: &actions)
        #expect(actions.isEmpty)
        let described = try #require(error).description
        #expect(described.hasPrefix("invalid mark report from a gateway: "), "\(described)")
        #expect(fixture.metricValue("wavecast_encoder_invalid_mark_reports_total") == 1)
    }

    @Test func subscriptionsStillTakeTheUpstreamPath() throws {
        var fixture = Fixture()
        _ = try fixture.play("s1", [Self.chunk(1)])
        _ = fixture.tick(at: Self.start)
        // A subscription (first byte 1) is a subscription, not a report.
        #expect(fixture.upstream([1] + Array("s1".utf8)).published.map(\.header.kind) == [.chunk])
    }
}

extension EncoderStateMachineTests.Fixture {
    /// A message up the bus from a gateway's XSUB: a subscription or a mark report.
    mutating func upstream(
        _ frame: [UInt8],
        at time: MonotonicTime = EncoderStateMachineTests.start
    )
        -> [EncoderStateMachine.Action]
    {
        var actions: [EncoderStateMachine.Action] = []
        _ = self.machine.receive(upstream: [frame], now: time, into: &actions)
        return actions
    }
}
