import Prometheus
import Testing
import WavecastCore

@testable import Encoder

/// The encoder's logic with no socket, thread or clock: requests, results, time and subscriptions go
/// in; replies, encoding jobs and bus messages come out, in order.
struct EncoderStateMachineTests {
    static let start = MonotonicTime(nanoseconds: 1_000_000_000)
    static let peer: [UInt8] = [0, 1, 2, 3, 4]

    /// One chunk of one 576-sample frame (72 ms at the default 8 kHz); `isSync` says whether a listener may start on it.
    static func chunk(_ byte: UInt8, isSync: Bool = true) -> MP3Chunk {
        MP3Chunk(bytes: [0xFF, 0xFB, byte], frameCount: 1, sampleCount: 576, isSync: isSync)
    }

    /// A machine, with its metrics, ticked once at ``start`` (the first heartbeat is out of the way).
    struct Fixture {
        var machine: EncoderStateMachine
        let metrics: EncoderMetrics
        var actions: [EncoderStateMachine.Action] = []

        init(
            maxStreams: Int = 10,
            replayWindow: Duration = .milliseconds(1000),
            heartbeat: Duration = .seconds(1),
            catalogue: Duration = .seconds(1)
        ) {
            let configuration = EncoderConfiguration(
                maxStreams: maxStreams,
                heartbeatInterval: heartbeat,
                replayWindow: replayWindow,
                catalogueInterval: catalogue
            )
            self.metrics = EncoderMetrics(registry: PrometheusCollectorRegistry())
            self.machine = EncoderStateMachine(configuration: configuration, metrics: self.metrics, now: start)
            _ = self.tick(at: start)
        }

        /// Sends a request from ``peer``: a JSON header and an optional payload.
        mutating func request(_ header: String, payload: [UInt8]? = nil, delimited: Bool = false) -> [Action] {
            var frames = [peer] + (delimited ? [[]] : []) + [Array(header.utf8)]
            if let payload { frames.append(payload) }
            self.machine.receive(request: frames, into: &self.actions)
            return self.drain()
        }

        /// Sends a request from ``peer`` at `time`.
        mutating func request(_ header: String, at time: MonotonicTime) -> [Action] {
            self.request(header, from: .unrestricted, at: time)
        }

        /// Sends a request from ``peer`` holding a CURVE key with `access`, at `time`.
        mutating func request(
            _ header: String,
            payload: [UInt8]? = nil,
            from access: FeederAccess,
            at time: MonotonicTime = start
        ) -> [Action] {
            var frames = [peer, Array(header.utf8)]
            if let payload { frames.append(payload) }
            self.machine.receive(request: frames, from: access, now: time, into: &self.actions)
            return self.drain()
        }

        mutating func result(
            _ job: EncodingJob,
            _ outcome: EncodingResult.Outcome,
            at time: MonotonicTime = start
        )
            -> [Action]
        {
            let result = EncodingResult(
                origin: job.origin,
                stream: job.stream,
                generation: job.generation,
                outcome: outcome
            )
            self.machine.receive(result: result, now: time, into: &self.actions)
            return self.drain()
        }

        mutating func tick(at time: MonotonicTime) -> [Action] {
            self.machine.tick(now: time, into: &self.actions)
            return self.drain()
        }

        mutating func subscription(_ bytes: [UInt8]) -> [Action] {
            self.machine.receive(subscription: [bytes], into: &self.actions)
            return self.drain()
        }

        /// The value of the metric sample `name` (with its labels), as `/metrics` would show it.
        func metricValue(_ name: String) -> Double? {
            var text: [UInt8] = []
            self.metrics.registry.emit(into: &text)
            return MetricsTests.value(of: name, in: String(decoding: text, as: UTF8.self))
        }

        private mutating func drain() -> [Action] {
            defer { self.actions.removeAll(keepingCapacity: true) }
            return self.actions
        }

        /// Plays `chunks` on `stream` (the request, then the encoding thread's result) and returns the reply.
        mutating func play(_ stream: String, _ chunks: [MP3Chunk], loop: Bool = false) throws -> IngestReply {
            let job = try #require(self.request(#"{"op":"play","stream":"\#(stream)"}"#, payload: [1]).onlyJob)
            let file = EncodingResult.PlayedFile(
                chunks: chunks,
                loop: loop,
                frames: chunks.count,
                inputFormat: WAVFormat(encoding: .signedPCM16, sampleRate: 8000, channels: 1),
                inputDuration: .milliseconds(72 * chunks.count),
                warnings: []
            )
            return try #require(self.result(job, .played(file)).onlyReply)
        }
    }

    typealias Action = EncoderStateMachine.Action

    static func at(milliseconds: UInt64) -> MonotonicTime {
        Self.start.advanced(byNanoseconds: milliseconds * 1_000_000)
    }

    // MARK: Time

    @Test func theFirstTickPublishesAHeartbeatAndTheNextComesAfterTheInterval() {
        let metrics = EncoderMetrics(registry: PrometheusCollectorRegistry())
        var machine = EncoderStateMachine(
            configuration: EncoderConfiguration(heartbeatInterval: .milliseconds(100), catalogueInterval: .seconds(1)),
            metrics: metrics,
            now: Self.start
        )
        #expect(machine.nextDeadline == Self.start)
        var actions: [Action] = []
        machine.tick(now: Self.start, into: &actions)
        // No stream has started: the catalogue has no page to publish.
        #expect(actions.published.map(\.header.kind) == [.heartbeat])
        #expect(machine.nextDeadline == Self.at(milliseconds: 100))
        actions.removeAll()
        machine.tick(now: Self.at(milliseconds: 99), into: &actions)
        #expect(actions.isEmpty)
        machine.tick(now: Self.at(milliseconds: 100), into: &actions)
        #expect(actions.published.map(\.header.kind) == [.heartbeat])
    }

    @Test func aPlayedFileIsPacedFromItsFirstChunk() throws {
        var fixture = Fixture()
        let reply = try fixture.play("s1", [Self.chunk(1), Self.chunk(2, isSync: false), Self.chunk(3)])
        #expect(reply.body["ok"] == .bool(true))
        #expect(reply.body["op"] == .string("play"))
        #expect(reply.body["chunks"] == .number(3))
        #expect(reply.body["starts_in_ms"] == .number(0))

        // Start, the catalogue entry for it, and the first chunk go out at once; the next every 72 ms.
        let first = fixture.tick(at: Self.start).published
        #expect(first.map(\.header.kind) == [.start, .catalogue, .chunk])
        #expect(first.last?.payload == [0xFF, 0xFB, 1])
        #expect(fixture.machine.nextDeadline == Self.at(milliseconds: 72))
        #expect(fixture.tick(at: Self.at(milliseconds: 71)).isEmpty)
        #expect(fixture.tick(at: Self.at(milliseconds: 72)).published.map(\.header.sequence) == [1])
        let last = fixture.tick(at: Self.at(milliseconds: 144)).published
        #expect(last.map(\.header.kind) == [.chunk])
        // The end follows the last chunk's duration, with an entry taking the stream off the catalogue.
        let end = fixture.tick(at: Self.at(milliseconds: 216)).published
        #expect(end.map(\.header.kind) == [.end, .catalogue])
        #expect(fixture.machine.streamCount == 0)
    }

    @Test func aLateTickPublishesEveryChunkThatIsDue() throws {
        var fixture = Fixture()
        _ = try fixture.play("s1", (1...4).map { Self.chunk($0) })
        _ = fixture.tick(at: Self.start)
        let late = fixture.tick(at: Self.at(milliseconds: 160)).published
        #expect(late.map(\.header.sequence) == [1, 2])
    }

    // MARK: Requests

    @Test func aReplyGoesBackThroughTheRoutingFramesOfAREQOrADEALER() throws {
        var fixture = Fixture()
        let dealer = try #require(fixture.request(#"{"op":"status","id":7}"#).onlyReplyAction)
        #expect(dealer.routing == [Self.peer])
        #expect(dealer.reply.body["id"] == .number(7))
        let req = try #require(fixture.request(#"{"op":"status"}"#, delimited: true).onlyReplyAction)
        #expect(req.routing == [Self.peer, []])
    }

    @Test func aMessageWithOnlyARoutingFrameIsIgnored() {
        var fixture = Fixture()
        var actions: [Action] = []
        fixture.machine.receive(request: [Self.peer], into: &actions)
        #expect(actions.isEmpty)
    }

    @Test(arguments: [
        (#"{"op":"dance","stream":"s1"}"#, "unknown_op"),
        (#"{"stream":"s1"}"#, "missing_field"),
        (#"{"op":"stop"}"#, "missing_field"),
        (#"{"op":"play","stream":"s1"}"#, "missing_payload"),
        ("not json", "invalid_json"),
    ])
    func aRequestThatCannotBeDecodedIsRefusedWithItsCode(header: String, code: String) throws {
        var fixture = Fixture()
        let refusal = try #require(fixture.request(header).onlyReplyAction)
        #expect(refusal.refusal == code, "\(refusal.reply.body)")
        #expect(refusal.reply.body["ok"] == .bool(false))
        #expect(refusal.reply.body["error"] == .string(code))
    }

    @Test func aRefusedRequestStillEchoesItsID() throws {
        var fixture = Fixture()
        let refusal = try #require(fixture.request(#"{"op":"dance","id":"abc"}"#).onlyReplyAction)
        #expect(refusal.reply.body["id"] == .string("abc"))
    }

    @Test func playsForNewStreamsCountAgainstTheLimitBeforeTheyAreEncoded() throws {
        var fixture = Fixture(maxStreams: 2)
        let first = try #require(fixture.request(#"{"op":"play","stream":"a"}"#, payload: [1]).onlyJob)
        #expect(fixture.request(#"{"op":"play","stream":"b"}"#, payload: [1]).onlyJob != nil)
        // Neither is encoded yet, and both count.
        #expect(
            fixture.request(#"{"op":"play","stream":"c"}"#, payload: [1]).onlyReplyAction?.refusal == "too_many_streams"
        )
        // Another play of a stream already counted is not a new stream.
        #expect(fixture.request(#"{"op":"play","stream":"a"}"#, payload: [1]).onlyJob != nil)
        // A failed play no longer counts once both of its plays are answered.
        _ = fixture.result(first, .failed(IngestError(code: "invalid_wav", message: "not a WAV")))
        #expect(
            fixture.request(#"{"op":"play","stream":"c"}"#, payload: [1]).onlyReplyAction?.refusal == "too_many_streams"
        )
        _ = fixture.result(first, .failed(IngestError(code: "invalid_wav", message: "not a WAV")))
        #expect(fixture.request(#"{"op":"play","stream":"c"}"#, payload: [1]).onlyJob != nil)
    }

    // MARK: Live PCM

    @Test func aLiveStreamIsOpenedFedAndClosed() throws {
        var fixture = Fixture()
        let open = try #require(
            fixture.request(#"{"op":"open","stream":"live","sample_rate":16000,"channels":2}"#).onlyJob
        )
        guard case .open(sampleRate: 16000, channels: 2) = open.work else {
            Issue.record("open became \(open.work)")
            return
        }
        #expect(fixture.result(open, .opened).onlyReply?.body["op"] == .string("open"))
        #expect(
            fixture.request(#"{"op":"open","stream":"live","sample_rate":16000,"channels":1}"#)
                .onlyReplyAction?.refusal == "stream_already_open"
        )
        // Two channels of s16le: 4 bytes a frame.
        #expect(
            fixture.request(#"{"op":"pcm","stream":"live"}"#, payload: [0, 0, 0]).onlyReplyAction?.refusal
                == "invalid_pcm"
        )
        let pcm = try #require(fixture.request(#"{"op":"pcm","stream":"live"}"#, payload: [0, 0, 0, 0]).onlyJob)
        // Every piece is answered, so even one that completes no frame comes back from the encoding thread.
        #expect(pcm.reportsNothingEncoded)
        let encoded = try #require(fixture.result(pcm, .encoded([Self.chunk(1)], frames: 1)).onlyReply)
        #expect(encoded.body["frames"] == .number(1))
        #expect(encoded.body["queued_ms"] == .number(72))
        #expect(fixture.tick(at: Self.start).published.map(\.header.kind) == [.start, .catalogue, .chunk])

        let close = try #require(fixture.request(#"{"op":"close","stream":"live"}"#).onlyJob)
        #expect(
            fixture.request(#"{"op":"pcm","stream":"live"}"#, payload: [0, 0, 0, 0]).onlyReplyAction?.refusal
                == "stream_not_open"
        )
        #expect(fixture.result(close, .closed([Self.chunk(2, isSync: false)], frames: 1)).onlyReply != nil)
        #expect(fixture.tick(at: Self.at(milliseconds: 72)).published.map(\.header.kind) == [.chunk])
        #expect(fixture.tick(at: Self.at(milliseconds: 144)).published.map(\.header.kind) == [.end, .catalogue])
    }

    @Test func aStreamOpenedForErrorsOnlyIsNotAnsweredForGoodPCM() throws {
        var fixture = Fixture()
        let open = try #require(
            fixture.request(#"{"op":"open","stream":"call","sample_rate":8000,"channels":1,"replies":"errors"}"#)
                .onlyJob
        )
        _ = fixture.result(open, .opened)
        let pcm = try #require(fixture.request(#"{"op":"pcm","stream":"call"}"#, payload: [0, 0]).onlyJob)
        #expect(pcm.origin?.answersSuccess == false)
        // No reply is owed: a piece that completes no frame need not come back at all.
        #expect(!pcm.reportsNothingEncoded)
        #expect(fixture.result(pcm, .encoded([Self.chunk(1)], frames: 1)).isEmpty)
        // Its chunks are still scheduled, and a bad piece is still answered.
        #expect(fixture.tick(at: Self.start).published.map(\.header.kind) == [.start, .catalogue, .chunk])
        #expect(
            fixture.request(#"{"op":"pcm","stream":"call"}"#, payload: [0]).onlyReplyAction?.refusal == "invalid_pcm"
        )
        let failed = fixture.result(pcm, .failed(IngestError(code: "encoder_failed", message: "LAME said no")))
        #expect(failed.onlyReplyAction?.refusal == "encoder_failed")
    }

    @Test func anOpenThatFailsLeavesTheStreamClosed() throws {
        var fixture = Fixture()
        let open = try #require(
            fixture.request(#"{"op":"open","stream":"live","sample_rate":8000,"channels":1}"#).onlyJob
        )
        #expect(
            fixture.result(open, .failed(IngestError(code: "encoder_failed", message: "no"))).onlyReplyAction?.refusal
                == "encoder_failed"
        )
        #expect(
            fixture.request(#"{"op":"pcm","stream":"live"}"#, payload: [0, 0]).onlyReplyAction?.refusal
                == "stream_not_open"
        )
        #expect(fixture.request(#"{"op":"open","stream":"live","sample_rate":8000,"channels":1}"#).onlyJob != nil)
    }

    // MARK: Stop

    @Test func stopEndsTheStreamAtOnceAndMakesWorkInFlightStale() throws {
        var fixture = Fixture()
        let open = try #require(
            fixture.request(#"{"op":"open","stream":"live","sample_rate":8000,"channels":1}"#).onlyJob
        )
        _ = fixture.result(open, .opened)
        let pcm = try #require(fixture.request(#"{"op":"pcm","stream":"live"}"#, payload: [0, 0]).onlyJob)
        _ = fixture.result(pcm, .encoded([Self.chunk(1), Self.chunk(2)], frames: 2))
        _ = fixture.tick(at: Self.start)
        let inFlight = try #require(fixture.request(#"{"op":"pcm","stream":"live"}"#, payload: [0, 0]).onlyJob)

        let stop = fixture.request(#"{"op":"stop","stream":"live"}"#)
        // The live encoder is discarded (no reply wanted), the end published, then the reply.
        guard stop.count == 4, case .encode(let discard) = stop[0], case .discard = discard.work else {
            Issue.record("stop did \(stop)")
            return
        }
        #expect(discard.origin == nil)
        #expect(stop.published.map(\.header.kind) == [.end, .catalogue])
        #expect(stop.published.first?.header.isStopped == true)
        #expect(stop.onlyReply?.body["stopped"] == .bool(true))
        #expect(fixture.machine.streamCount == 0)

        // The piece accepted before the stop comes back: answered, but nothing of it is published.
        #expect(fixture.result(inFlight, .encoded([Self.chunk(3)], frames: 1)).onlyReply != nil)
        #expect(fixture.tick(at: Self.at(milliseconds: 1000)).published.allSatisfy { $0.header.kind != .chunk })
        #expect(fixture.request(#"{"op":"stop","stream":"live"}"#).onlyReply?.body["stopped"] == .bool(false))
    }

    @Test func aFileEncodedAfterItsStreamWasStoppedIsRefusedAsStopped() throws {
        var fixture = Fixture()
        let play = try #require(fixture.request(#"{"op":"play","stream":"s"}"#, payload: [1]).onlyJob)
        _ = fixture.request(#"{"op":"stop","stream":"s"}"#)
        let file = EncodingResult.PlayedFile(
            chunks: [Self.chunk(1)],
            loop: false,
            frames: 1,
            inputFormat: WAVFormat(encoding: .signedPCM16, sampleRate: 8000, channels: 1),
            inputDuration: .milliseconds(72),
            warnings: []
        )
        #expect(fixture.result(play, .played(file)).onlyReplyAction?.refusal == "stopped")
        #expect(fixture.tick(at: Self.start).published.isEmpty)
    }

    @Test func stopAllEndsEveryStartedStream() throws {
        var fixture = Fixture()
        _ = try fixture.play("a", [Self.chunk(1), Self.chunk(2)])
        _ = try fixture.play("b", [Self.chunk(1), Self.chunk(2)])
        _ = fixture.tick(at: Self.start)
        var actions: [Action] = []
        fixture.machine.stopAll(into: &actions)
        #expect(Set(actions.published.filter { $0.header.kind == .end }.map(\.streamID)) == ["a", "b"])
        #expect(fixture.machine.streamCount == 0)
    }

    // MARK: Subscriptions

    @Test func aNewSubscriberIsSentTheWindowFromItsFirstSyncChunk() throws {
        // 200 ms holds two chunks of 72 ms.
        var fixture = Fixture(replayWindow: .milliseconds(200))
        _ = try fixture.play("s1", [Self.chunk(1, isSync: false), Self.chunk(2), Self.chunk(3, isSync: false)])
        for milliseconds: UInt64 in [0, 72, 144] {
            _ = fixture.tick(at: Self.at(milliseconds: milliseconds))
        }
        let replay = fixture.subscription([1] + Array("s1".utf8)).published
        #expect(replay.map(\.payload) == [[0xFF, 0xFB, 2], [0xFF, 0xFB, 3]])
        #expect(replay.map(\.header.isReplay) == [true, true])
        #expect(replay.map(\.header.isReplayEnd) == [false, true])
        #expect(fixture.metricValue("wavecast_encoder_chunks_replayed_total") == 2)
        // An unsubscription, the control topic, everything, or a topic that is no stream id: nothing.
        #expect(fixture.subscription([0] + Array("s1".utf8)).isEmpty)
        #expect(fixture.subscription([1] + BusMessage.controlTopic).isEmpty)
        #expect(fixture.subscription([1]).isEmpty)
        #expect(fixture.subscription([1, 0xFF, 0xFE]).isEmpty)
        #expect(fixture.subscription([1] + Array("nobody".utf8)).isEmpty)
    }

    // MARK: Catalogue

    @Test func theCatalogueListsStartedStreamsInPagesEveryInterval() throws {
        var fixture = Fixture(maxStreams: 2000, heartbeat: .seconds(10), catalogue: .milliseconds(500))
        for index in 0..<(BusCatalogue.maximumEntriesPerMessage + 1) {
            _ = try fixture.play("s\(index)", [Self.chunk(1), Self.chunk(2)], loop: true)
        }
        _ = fixture.tick(at: Self.start)
        #expect(fixture.machine.nextDeadline == Self.at(milliseconds: 72))
        var pages: [BusMessage] = []
        for milliseconds: UInt64 in stride(from: 72, through: 504, by: 72) {
            pages += fixture.tick(at: Self.at(milliseconds: milliseconds)).published.filter {
                $0.header.kind == .catalogue
            }
        }
        let entries = try pages.map {
            try BusCatalogue(decoding: $0.payload, count: Int($0.header.frameCount)).entries.count
        }
        #expect(entries == [BusCatalogue.maximumEntriesPerMessage, 1])
    }
}

extension [EncoderStateMachine.Action] {
    /// The bus messages among the actions, in order.
    var published: [BusMessage] {
        self.compactMap {
            if case .publish(let message) = $0 { message } else { nil }
        }
    }

    /// The one job among the actions, when the actions are exactly one job.
    var onlyJob: EncodingJob? {
        guard self.count == 1, case .encode(let job) = self[0] else { return nil }
        return job
    }

    /// The one reply among the actions, with where it goes and the refusal's code.
    var onlyReplyAction: (reply: IngestReply, routing: [[UInt8]], refusal: String?)? {
        let replies = self.compactMap { action -> (IngestReply, [[UInt8]], String?)? in
            if case .reply(let reply, let routing, let refusal) = action { (reply, routing, refusal) } else { nil }
        }
        guard replies.count == 1 else { return nil }
        return replies[0]
    }

    /// The one reply among the actions.
    var onlyReply: IngestReply? { self.onlyReplyAction?.reply }
}
