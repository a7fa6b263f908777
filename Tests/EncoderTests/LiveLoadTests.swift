import Testing
import WavecastCore
import WavecastTestSupport

/// The live path under load: hundreds of streams fed 20 ms `pcm` pieces at once, from several feeders.
///
/// `scripts/test` also runs this under ThreadSanitizer, where it keeps the reactor, its mailbox and both
/// encoding threads' job queues contended for seconds: the load that exposed the `Synchronization.Mutex`
/// blind spot (docs/RELIABILITY.md, "Sanitizers").
struct LiveLoadTests {
    static let feeders = 4
    static let streamsPerFeeder = 50
    /// 20 ms pieces: 160 sample frames at 8 kHz, a telephony bridge's cadence.
    static let piecesPerStream = 25
    static let framesPerPiece = 160

    @Test("200 live streams fed 20 ms pcm pieces over 4 DEALERs: every request answered, every stream whole")
    func everyPieceOfHundredsOfLiveStreamsIsAnsweredEncodedAndPublished() async throws {
        try await EncoderHarness.with { encoder in
            let feeders = try (0..<Self.feeders).map { _ in try encoder.makeDealer() }
            let piece = TestAudio.pcm(frames: Self.framesPerPiece)
            // Each feeder drives its own streams, all at once: open, 25 rounds of one piece per stream, close.
            // The frames each stream's replies say were encoded, summed over its pcm and close replies.
            var framesReplied: [String: Int] = [:]
            var failure: (any Error)?
            do {
                try await withThrowingTaskGroup(of: [String: Int].self) { group in
                    for (index, feeder) in feeders.enumerated() {
                        let streams = (0..<Self.streamsPerFeeder).map { "live-\(index)-\($0)" }
                        group.addTask { try await Self.feed(streams, through: feeder, piece: piece) }
                    }
                    for try await frames in group {
                        framesReplied.merge(frames) { $0 + $1 }
                    }
                }
            } catch {
                failure = error
            }
            for feeder in feeders { await feeder.close() }
            if let failure { throw failure }

            let streams = (0..<Self.feeders).flatMap { feeder in
                (0..<Self.streamsPerFeeder).map { "live-\(feeder)-\($0)" }
            }
            let published = try await encoder.bus.wait(
                for: "the end of all \(streams.count) streams",
                timeout: .seconds(60)
            ) {
                $0.lazy.filter { $0.kind == .end }.count >= streams.count
            }
            #expect(encoder.bus.decodingFailures.isEmpty, "\(encoder.bus.decodingFailures.prefix(3))")
            // All 4,000 samples of each stream plus LAME's delay, in whole 576-sample frames: one lost piece
            // (160 samples) would show as a missing frame in most streams, and in the replies' counts.
            let samples = Self.piecesPerStream * Self.framesPerPiece
            let expectedChunks = (samples + WAVVariantTests.lameDelaySamples + 575) / 576
            let byStream = Dictionary(grouping: published) { $0.message.streamID }
            for stream in streams {
                let recorded = RecordedStream(id: stream, messages: byStream[stream] ?? [])
                expectWellFormed(recorded, stopped: false)
                #expect(recorded.chunks.count == expectedChunks, "'\(stream)': \(recorded.chunks.count) chunks")
                #expect(framesReplied[stream] == recorded.chunks.count, "'\(stream)': the replies counted the frames")
            }
        }
    }

    /// Opens `streams`, sends `piecesPerStream` rounds of one `pcm` piece to each (a round pipelined, then its
    /// replies), closes them, and checks that every reply is `ok` and answers its own request.
    ///
    /// - Returns: For each stream, the frames its replies say were encoded.
    private static func feed(
        _ streams: [String],
        through feeder: IngestClient,
        piece: [UInt8]
    ) async throws -> [String: Int] {
        var frames: [String: Int] = [:]
        var nextID = 0
        func round(_ requests: [(header: JSONObject, payload: [UInt8]?)]) async throws {
            var ids: [Int] = []
            var batch: [[[UInt8]]] = []
            for var request in requests {
                request.header["id"] = .number(Double(nextID))
                ids.append(nextID)
                nextID += 1
                batch.append(IngestClient.frames(request.header, payload: request.payload))
            }
            try await feeder.send(batch: batch)
            var answered: [Int] = []
            for _ in ids {
                let reply = try await feeder.receive()
                #expect(reply.isOK, "\(reply)")
                if let id = reply.integer("id") { answered.append(id) }
                if let stream = reply.string("stream"), let encoded = reply.integer("frames") {
                    frames[stream, default: 0] += encoded
                }
            }
            // Streams are spread over the encoding threads, so replies may overtake each other; none is lost.
            #expect(answered.sorted() == ids)
        }
        try await round(
            streams.map {
                (["op": "open", "stream": .string($0), "sample_rate": 8000, "channels": 1, "encoding": "s16le"], nil)
            }
        )
        for _ in 0..<Self.piecesPerStream {
            try await round(streams.map { (["op": "pcm", "stream": .string($0)], piece) })
        }
        try await round(streams.map { (["op": "close", "stream": .string($0)], nil) })
        return frames
    }
}
