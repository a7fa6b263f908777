import Logging
import Prometheus
import WavecastCore
import ZeroMQ

/// Everything the reactor thread owns: its sockets, the scheduler and the live streams' bookkeeping.
///
/// Only the reactor thread touches it, so none of it needs a lock.
struct ReactorState: ~Copyable {
    /// A stream open for live PCM, as the reactor sees it (the LAME state is on the encoding thread).
    struct LiveStream {
        var sampleRate: Int
        var channels: Int
        var replies: PCMReplies
    }

    let configuration: EncoderConfiguration
    let logger: Logger
    let metrics: EncoderMetrics
    let pool: EncodingPool
    let router: ZMQSocket
    let publisher: ZMQSocket
    var scheduler: StreamScheduler
    private var replayWindows: ReplayWindows
    private var liveStreams: [StreamID: LiveStream] = [:]
    /// Bumped by `stop`: results of work accepted before it are stale and dropped.
    private var generations: [StreamID: UInt64] = [:]
    /// Plays handed to an encoding thread and not answered yet, per stream: they count against `maxStreams`
    /// before the scheduler knows their stream, so plays for new streams arriving together cannot overshoot it.
    private var pendingPlays: [StreamID: Int] = [:]
    private var heartbeatCounter: UInt64 = 0
    private var catalogueCounter: UInt64 = 0
    private var publishFailures = 0

    init(
        configuration: EncoderConfiguration,
        logger: Logger,
        metrics: EncoderMetrics,
        pool: EncodingPool,
        router: ZMQSocket,
        publisher: ZMQSocket
    ) {
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
        self.pool = pool
        self.router = router
        self.publisher = publisher
        self.scheduler = StreamScheduler(sampleRate: configuration.outputFormat.sampleRate)
        self.replayWindows = ReplayWindows(
            duration: configuration.replayWindow,
            sampleRate: configuration.outputFormat.sampleRate
        )
    }

    private var format: MP3OutputFormat { self.configuration.outputFormat }

    // MARK: Requests

    /// Handles one message from the ROUTER socket: routing frames, then `[JSON header][payload]`.
    mutating func handle(frames: [[UInt8]]) {
        guard frames.count >= 2 else { return }
        // A REQ peer puts an empty delimiter after its routing id; a DEALER peer usually does not.
        let delimited = frames[1].isEmpty
        let routingFrames = Array(frames[0..<(delimited ? 2 : 1)])
        let content = Array(frames[(delimited ? 2 : 1)...])
        let request: IngestRequest
        do {
            request = try IngestRequest(frames: content, maxMessageBytes: self.configuration.maxMessageBytes)
        } catch {
            self.metrics.countRequest(op: "invalid")
            self.reply(
                to: routingFrames,
                .failure(error, requestID: Self.bestEffortRequestID(content)),
                errorCode: error.code
            )
            return
        }
        self.metrics.countRequest(op: request.operationName)
        var origin = RequestOrigin(
            routingFrames: routingFrames,
            operation: request.operationName,
            stream: request.stream,
            requestID: request.requestID
        )
        if case .pcm = request.operation, let stream = request.stream, self.liveStreams[stream]?.replies == .errors {
            origin.answersSuccess = false
        }
        do {
            try self.accept(request, from: origin)
        } catch {
            self.reply(to: origin, error)
        }
    }

    private mutating func accept(_ request: IngestRequest, from origin: RequestOrigin) throws(IngestError) {
        guard let stream = request.stream else {
            // Only `status` may leave the stream out.
            self.reply(to: origin, self.statusFields(of: nil))
            return
        }
        let generation = self.generations[stream, default: 0]
        func submit(_ work: EncodingJob.Work) {
            self.pool.submit(EncodingJob(origin: origin, stream: stream, generation: generation, work: work))
        }
        switch request.operation {
        case .status:
            self.reply(to: origin, self.statusFields(of: stream))
        case .play(let wav, let loop):
            try self.checkStreamLimit(for: stream)
            self.pendingPlays[stream, default: 0] += 1
            submit(.play(wav: wav, loop: loop))
        case .open(let sampleRate, let channels, let replies):
            if self.liveStreams[stream] != nil {
                throw IngestError(
                    code: "stream_already_open",
                    message:
                        "stream '\(stream)' is already open for PCM; send 'close' (or 'stop') before opening it again"
                )
            }
            try self.checkStreamLimit(for: stream)
            self.liveStreams[stream] = LiveStream(sampleRate: sampleRate, channels: channels, replies: replies)
            self.scheduler.openLive(stream)
            submit(.open(sampleRate: sampleRate, channels: channels))
        case .pcm(let bytes):
            guard let live = self.liveStreams[stream] else { throw Self.notOpen(stream) }
            let frameBytes = 2 * live.channels
            guard bytes.count % frameBytes == 0 else {
                throw IngestError(
                    code: "invalid_pcm",
                    message: "the PCM payload is \(bytes.count) bytes, not a whole number of s16le frames "
                        + "(\(live.channels) channel\(live.channels == 1 ? "" : "s") × 2 bytes = \(frameBytes) bytes each)"
                )
            }
            submit(.pcm(bytes))
        case .close:
            guard self.liveStreams.removeValue(forKey: stream) != nil else { throw Self.notOpen(stream) }
            submit(.close)
        case .stop:
            let wasLive = self.liveStreams.removeValue(forKey: stream) != nil
            let wasKnown = self.scheduler.contains(stream)
            self.generations[stream] = generation + 1
            if wasLive {
                self.pool.submit(EncodingJob(origin: nil, stream: stream, generation: generation, work: .discard))
            }
            if let end = self.scheduler.stop(stream) {
                self.publish(end)
            }
            self.updateStreamGauge()
            self.reply(to: origin, ["stopped": .bool(wasKnown || wasLive)])
        }
    }

    private func checkStreamLimit(for stream: StreamID) throws(IngestError) {
        guard !self.scheduler.contains(stream) && self.pendingPlays[stream] == nil else { return }
        let streamCount =
            self.scheduler.streamCount + self.pendingPlays.keys.count { !self.scheduler.contains($0) }
        if streamCount >= self.configuration.maxStreams {
            throw IngestError(
                code: "too_many_streams",
                message: "the encoder already has \(streamCount) streams, its limit (--max-streams); "
                    + "stop one or wait for one to end"
            )
        }
    }

    private static func notOpen(_ stream: StreamID) -> IngestError {
        IngestError(code: "stream_not_open", message: "stream '\(stream)' is not open for PCM; send 'open' first")
    }

    /// The `id` of a request that failed to decode, when its header is at least a JSON object.
    private static func bestEffortRequestID(_ content: [[UInt8]]) -> JSONValue? {
        guard let header = content.first, header.count < 65536,
            case .object(let object)? = try? JSONValue.parse(header)
        else { return nil }
        return object["id"]
    }

    // MARK: Results

    /// Applies an encoding thread's result and answers the request it came from.
    mutating func handle(_ result: EncodingResult) {
        let stale = self.generations[result.stream, default: 0] != result.generation
        let stream = result.stream
        if result.origin?.operation == "play", let pending = self.pendingPlays[stream] {
            self.pendingPlays[stream] = pending > 1 ? pending - 1 : nil
        }
        let now = MonotonicTime.now()
        switch result.outcome {
        case .played(let file):
            if stale {
                self.reply(to: result.origin, Self.stopped(stream))
                return
            }
            let queuedBefore = self.scheduler.status(of: stream).first?.queuedSamples ?? 0
            self.scheduler.enqueue(file.chunks, loop: file.loop, on: stream, now: now)
            let samples = file.chunks.reduce(UInt64(0)) { $0 + UInt64($1.sampleCount) }
            var fields: JSONObject = [
                "duration_ms": .number(Double(self.milliseconds(samples))),
                "frames": .number(Double(file.frames)),
                "chunks": .number(Double(file.chunks.count)),
                "loop": .bool(file.loop),
                "starts_in_ms": .number(Double(self.milliseconds(queuedBefore))),
                "input": .object([
                    "encoding": .string("\(file.inputFormat.encoding)"),
                    "sample_rate": .number(Double(file.inputFormat.sampleRate)),
                    "channels": .number(Double(file.inputFormat.channels)),
                    "duration_ms": .number(
                        Double(
                            file.inputDuration.components.seconds * 1000
                                + file.inputDuration.components.attoseconds / 1_000_000_000_000_000
                        )
                    ),
                ]),
            ]
            if !file.warnings.isEmpty {
                fields["warnings"] = .array(file.warnings.map { .string($0.description) })
            }
            self.reply(to: result.origin, fields)
        case .opened:
            self.reply(to: result.origin, [:])
        case .encoded(let chunks, let frames):
            if !stale {
                self.scheduler.enqueue(chunks, loop: false, on: stream, now: now)
            }
            if result.origin?.answersSuccess == true {
                self.reply(to: result.origin, self.liveFields(stream, frames: frames))
            }
        case .closed(let chunks, let frames):
            if !stale {
                self.scheduler.enqueue(chunks, loop: false, on: stream, now: now)
                // An `open` accepted since this `close` has made the stream live again: leave it live.
                if self.liveStreams[stream] == nil {
                    self.scheduler.closeLive(stream, now: now)
                }
            }
            self.reply(to: result.origin, self.liveFields(stream, frames: frames))
        case .failed(let error):
            if !stale, result.origin?.operation == "open" {
                self.liveStreams[stream] = nil
                self.scheduler.closeLive(stream, now: now)
            }
            self.reply(to: result.origin, error)
        }
        self.updateStreamGauge()
    }

    private func liveFields(_ stream: StreamID, frames: Int) -> JSONObject {
        let queued = self.scheduler.status(of: stream).first?.queuedSamples ?? 0
        return ["frames": .number(Double(frames)), "queued_ms": .number(Double(self.milliseconds(queued)))]
    }

    private static func stopped(_ stream: StreamID) -> IngestError {
        IngestError(code: "stopped", message: "stream '\(stream)' was stopped before this audio was queued")
    }

    private func milliseconds(_ samples: UInt64) -> UInt64 {
        MediaClock.milliseconds(samples: samples, sampleRate: self.format.sampleRate)
    }

    private func statusFields(of stream: StreamID?) -> JSONObject {
        let streams = self.scheduler.status(of: stream).map { status -> JSONValue in
            .object([
                "stream": .string(status.id.description),
                "state": .string(status.hasStarted ? "playing" : "waiting"),
                "live": .bool(status.isLive),
                "loop": .bool(status.isLooping),
                "position_ms": .number(Double(self.milliseconds(status.position))),
                "queued_ms": .number(Double(self.milliseconds(status.queuedSamples))),
                "sequence": .number(Double(status.nextSequence)),
            ])
        }
        return [
            "streams": .array(streams),
            "format": .object([
                "sample_rate": .number(Double(self.format.sampleRate)),
                "bitrate": .number(Double(self.format.bitrate)),
                "channels": .number(Double(self.format.channels)),
                "frames_per_chunk": .number(Double(self.configuration.framesPerChunk)),
            ]),
        ]
    }

    // MARK: Replies

    private func reply(to origin: RequestOrigin?, _ fields: JSONObject) {
        guard let origin else { return }
        let reply = IngestReply.success(
            operation: origin.operation,
            stream: origin.stream,
            requestID: origin.requestID,
            fields
        )
        self.send(reply, to: origin.routingFrames)
    }

    private func reply(to origin: RequestOrigin?, _ error: IngestError) {
        guard let origin else { return }
        self.reply(to: origin.routingFrames, .failure(error, requestID: origin.requestID), errorCode: error.code)
    }

    private func reply(to routingFrames: [[UInt8]], _ reply: IngestReply, errorCode: String) {
        self.metrics.countError(code: errorCode)
        self.logger.debug("Refused a request", metadata: ["error.code": "\(errorCode)"])
        self.send(reply, to: routingFrames)
    }

    private func send(_ reply: IngestReply, to routingFrames: [[UInt8]]) {
        do {
            try self.router.send(routingFrames + [reply.bytes], dontWait: true)
        } catch {
            // The peer went away or stopped reading; its reply cannot be delivered and nobody else waits on it.
            self.logger.debug("Could not send a reply", metadata: ["error": "\(error)"])
        }
    }

    // MARK: Publication

    /// Publishes every chunk due by `now`.
    mutating func publishDue(now: MonotonicTime) {
        var ended = false
        var events: [StreamScheduler.Event] = []
        self.scheduler.publishDue(now: now) { events.append($0) }
        for event in events {
            if case .end = event { ended = true }
            self.publish(event)
        }
        if ended { self.updateStreamGauge() }
    }

    /// Handles a message the bus's XPUB socket received: a subscriber's subscription (first byte 1) or
    /// unsubscription (0), then the topic. A new subscriber to a stream is sent the stream's replay window at once.
    mutating func handle(subscription frames: [[UInt8]]) {
        guard frames.count == 1, let frame = frames.first, frame.first == 1 else { return }
        // The control topic, or everything (an empty prefix): nothing to replay.
        guard let id = String(validating: frame.dropFirst(), as: UTF8.self), let stream = try? StreamID(id) else {
            return
        }
        self.metrics.subscriptions.increment()
        let replay = self.replayWindows.replay(of: stream)
        for message in replay {
            self.send(message)
        }
        self.metrics.chunksReplayed.increment(by: Int64(replay.count))
    }

    /// Publishes the whole catalogue of started streams on the control topic, in pages.
    mutating func publishCatalogue() {
        let entries = self.scheduler.status(of: nil).lazy.filter(\.hasStarted).map {
            BusCatalogue.Entry(stream: $0.id, isLive: true, positionSamples: $0.position)
        }
        var page: [BusCatalogue.Entry] = []
        page.reserveCapacity(BusCatalogue.maximumEntriesPerMessage)
        for entry in entries {
            page.append(entry)
            if page.count == BusCatalogue.maximumEntriesPerMessage {
                self.publishCatalogue(page)
                page.removeAll(keepingCapacity: true)
            }
        }
        if !page.isEmpty {
            self.publishCatalogue(page)
        }
    }

    private mutating func publishCatalogue(_ entries: [BusCatalogue.Entry]) {
        self.catalogueCounter += 1
        self.send(
            BusMessage.catalogue(BusCatalogue(entries: entries), counter: self.catalogueCounter, format: self.format)
        )
    }

    /// Publishes a heartbeat, so gateways know the encoder is alive even with no stream playing.
    mutating func publishHeartbeat() {
        self.heartbeatCounter += 1
        self.send(BusMessage.heartbeat(counter: self.heartbeatCounter))
        self.metrics.heartbeats.increment()
    }

    /// Ends every stream (shutdown), publishing an `end` for each that started.
    mutating func stopAll() {
        for event in self.scheduler.stopAll() {
            self.publish(event)
        }
        self.updateStreamGauge()
    }

    private mutating func publish(_ event: StreamScheduler.Event) {
        switch event {
        case .start(let stream):
            self.replayWindows.started(stream)
            self.send(BusMessage.start(streamID: stream, format: self.format))
            // Gateways not subscribed to the stream learn of it from the control topic.
            self.publishCatalogue([BusCatalogue.Entry(stream: stream, isLive: true, positionSamples: 0)])
        case .chunk(let stream, let chunk, let sequence, let timestamp, let lateness):
            let message = BusMessage.chunk(
                streamID: stream,
                chunk: chunk,
                sequence: sequence,
                timestampSamples: timestamp,
                format: self.format
            )
            self.send(message)
            self.replayWindows.record(message, on: stream)
            self.metrics.chunksPublished.increment()
            self.metrics.framesPublished.increment(by: Int64(chunk.frameCount))
            self.metrics.bytesPublished.increment(by: Int64(chunk.bytes.count))
            self.metrics.lateness.recordNanoseconds(max(0, lateness))
        case .end(let stream, let sequence, let timestamp, let stopped):
            self.send(
                BusMessage.end(
                    streamID: stream,
                    chunkCount: sequence,
                    totalSamples: timestamp,
                    stopped: stopped,
                    format: self.format
                )
            )
            self.replayWindows.ended(stream)
            self.publishCatalogue([BusCatalogue.Entry(stream: stream, isLive: false, positionSamples: timestamp)])
        }
    }

    private func send(_ message: BusMessage) {
        do {
            try self.publisher.send(message.frames(), dontWait: true)
        } catch {
            // PUB never blocks: it drops past the high-water mark. Anything else is worth a log line.
            self.logger.warning("Publishing on the bus failed", metadata: ["error": "\(error)"])
        }
    }

    private func updateStreamGauge() {
        self.metrics.streams.set(Int64(self.scheduler.streamCount))
    }
}
