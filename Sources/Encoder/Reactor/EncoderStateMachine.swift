import Prometheus
import WavecastCore

/// The encoder's logic, with no sockets and no clock: which requests are accepted, what each is
/// answered, which work goes to the encoding threads, and what is published on the bus and when.
///
/// Every input — a request's frames, an encoding thread's result, a bus subscription, the passing
/// of time — appends the ``Action``s it calls for to a buffer the caller owns, in the order they
/// must be carried out. ``EncoderReactor`` is the executor: it reads the clock, receives, carries
/// the actions out, and alone touches the sockets. Tests drive the machine with frames and times of
/// their own and read its actions (swift-websocket's `WebSocketStateMachine` works the same way).
///
/// The caller keeps one action buffer and empties it with `removeAll(keepingCapacity: true)`
/// after carrying it out, so the steady state allocates no buffer per request.
struct EncoderStateMachine: Sendable {
    /// Something the machine asks its executor to do.
    enum Action: Sendable {
        /// Send `reply` to the peer behind `routingFrames` (the ROUTER socket). `refusal` is the error
        /// code when the reply refuses the request, for the executor's log.
        case reply(IngestReply, to: [[UInt8]], refusal: String?)
        /// Hand `job` to the encoding thread that owns its stream.
        case encode(EncodingJob)
        /// Publish `message` on the bus.
        case publish(BusMessage)
    }

    /// A stream open for live PCM, as the machine sees it (the LAME state is on the encoding thread).
    private struct LiveStream: Sendable {
        var channels: Int
        var replies: PCMReplies
    }

    private let configuration: EncoderConfiguration
    private let metrics: EncoderMetrics
    private var scheduler: StreamScheduler
    private var replayWindows: ReplayWindows
    private var liveStreams: [StreamID: LiveStream] = [:]
    /// Bumped by `stop`: results of work accepted before it are stale and dropped.
    private var generations: [StreamID: UInt64] = [:]
    /// Plays handed to an encoding thread and not answered yet, per stream: they count against `maxStreams`
    /// before the scheduler knows their stream, so plays for new streams arriving together cannot overshoot it.
    private var pendingPlays: [StreamID: Int] = [:]
    private var heartbeatCounter: UInt64 = 0
    private var catalogueCounter: UInt64 = 0
    private var nextHeartbeat: MonotonicTime
    private var nextCatalogue: MonotonicTime
    /// Storage for the scheduler's due events during a tick, kept so a tick allocates none.
    private var dueEvents: [StreamScheduler.Event] = []
    /// The feeder key (by name) that started each stream, for keys with a stream quota.
    private var owners: [StreamID: String] = [:]
    /// Each rate-limited feeder key's request allowance (by name).
    private var allowances: [String: RequestAllowance] = [:]
    /// The time of the last tick: what ``receive(request:into:)`` goes by when no time is given.
    private var lastNow: MonotonicTime
    /// Each started stream's incarnation, carried by all its bus messages.
    private var epochs: [StreamID: UInt32] = [:]
    /// The epoch the next stream start gets.
    private var nextEpoch: UInt32
    /// Every stream's playback marks, and what gateways reported of them.
    private var marks = MarkLedger()
    /// Why each stream's work in flight went stale (its generation was bumped): a mark in it is cleared or ended.
    private var staleMarkState: [StreamID: MarkRecord.State] = [:]
    /// The streams' µ-law renditions: what is published on their topics, and replayed.
    private var muLaw: MuLawPublication

    /// Creates the machine at `now`: its first ``tick(now:into:)`` publishes a heartbeat and the catalogue.
    ///
    /// - Parameters:
    ///   - firstEpoch: The epoch of the first stream to start; each start after takes the next. Random by default, so
    ///     a stream started again after an encoder restart, or on another encoder, gets an epoch of its own.
    init(
        configuration: EncoderConfiguration,
        metrics: EncoderMetrics,
        now: MonotonicTime,
        firstEpoch: UInt32 = .random(in: 1...UInt32.max)
    ) {
        self.configuration = configuration
        self.metrics = metrics
        self.scheduler = StreamScheduler(sampleRate: configuration.outputFormat.sampleRate)
        self.replayWindows = ReplayWindows(
            duration: configuration.replayWindow,
            sampleRate: configuration.outputFormat.sampleRate
        )
        self.nextHeartbeat = now
        self.nextCatalogue = now
        self.lastNow = now
        self.nextEpoch = firstEpoch
        self.muLaw = MuLawPublication(
            replayWindow: configuration.replayWindow,
            sampleRate: configuration.outputFormat.sampleRate
        )
    }

    private var format: MP3OutputFormat { self.configuration.outputFormat }

    /// Streams playing, waiting for live PCM, or waiting for their audio to finish.
    var streamCount: Int { self.scheduler.streamCount }

    /// When the machine next has something to do by itself: the next chunk due, heartbeat or catalogue.
    /// The executor calls ``tick(now:into:)`` then, or sooner.
    var nextDeadline: MonotonicTime {
        mutating get {
            min(self.scheduler.nextDeadline ?? self.nextHeartbeat, self.nextHeartbeat, self.nextCatalogue)
        }
    }

    // MARK: Time

    /// Publishes what is due at `now`: a heartbeat, the catalogue, and every chunk whose deadline has come.
    mutating func tick(now: MonotonicTime, into actions: inout [Action]) {
        self.lastNow = now
        if now >= self.nextHeartbeat {
            self.heartbeatCounter += 1
            actions.append(.publish(.heartbeat(counter: self.heartbeatCounter)))
            self.metrics.heartbeats.increment()
            self.nextHeartbeat = now.advanced(byNanoseconds: self.configuration.heartbeatInterval.wholeNanoseconds)
        }
        if now >= self.nextCatalogue {
            self.publishCatalogue(into: &actions)
            // Once a second, not per tick: ticks come per chunk published.
            self.marks.prune(now: now)
            self.nextCatalogue = now.advanced(byNanoseconds: self.configuration.catalogueInterval.wholeNanoseconds)
        }
        // The events go through a buffer kept between ticks: publishing them changes more than the scheduler.
        var events = self.dueEvents
        self.dueEvents = []
        self.scheduler.publishDue(now: now) { events.append($0) }
        self.muLaw.prepare(events)
        var ended = false
        for event in events {
            if case .end = event { ended = true }
            self.publish(event, into: &actions)
        }
        events.removeAll(keepingCapacity: true)
        self.dueEvents = events
        if ended { self.updateStreamGauge() }
    }

    /// Ends every stream (shutdown), publishing an `end` for each that started.
    mutating func stopAll(into actions: inout [Action]) {
        for event in self.scheduler.stopAll() {
            self.publish(event, into: &actions)
        }
        self.updateStreamGauge()
    }

    // MARK: Requests

    /// Handles one message from the ROUTER socket from a sender who may do anything (no CURVE).
    mutating func receive(request frames: [[UInt8]], into actions: inout [Action]) {
        self.receive(request: frames, from: .unrestricted, now: self.lastNow, into: &actions)
    }

    /// Handles one message from the ROUTER socket: routing frames, then `[JSON header][payload]`,
    /// sent at `now` by a feeder with `access` (its key's grant, when the ingest socket is CURVE).
    mutating func receive(
        request frames: [[UInt8]],
        from access: FeederAccess,
        now: MonotonicTime,
        into actions: inout [Action]
    ) {
        guard frames.count >= 2 else { return }
        // A REQ peer puts an empty delimiter after its routing id; a DEALER peer usually does not.
        let delimited = frames[1].isEmpty
        let routingFrames = Array(frames[0..<(delimited ? 2 : 1)])
        let content = frames[(delimited ? 2 : 1)...]
        let request: IngestRequest
        do {
            request = try IngestRequest(frames: content, maxMessageBytes: self.configuration.maxMessageBytes)
        } catch {
            self.metrics.countRequest(nil)
            self.refuse(routingFrames, error, requestID: Self.bestEffortRequestID(content), into: &actions)
            return
        }
        let operation = IngestOperation(request.operation)
        self.metrics.countRequest(operation)
        var origin = RequestOrigin(
            routingFrames: routingFrames,
            operation: operation,
            stream: request.stream,
            requestID: request.requestID
        )
        if operation == .pcm, let stream = request.stream, self.liveStreams[stream]?.replies == .errors {
            origin.answersSuccess = false
        }
        do {
            let grant = try self.authorize(request, from: access, now: now)
            try self.accept(request, from: origin, grant: grant, now: now, into: &actions)
        } catch {
            self.reply(to: origin, error, into: &actions)
        }
    }

    // MARK: Keys

    /// Checks what a feeder's key allows against `request`: the key still allowed, its request rate,
    /// its stream prefix. Returns the grant, `nil` when authentication is off.
    private mutating func authorize(
        _ request: IngestRequest,
        from access: FeederAccess,
        now: MonotonicTime
    ) throws(IngestError) -> FeederGrant? {
        let grant: FeederGrant
        switch access {
        case .unrestricted:
            return nil
        case .revoked:
            throw IngestError(
                code: "key_revoked",
                message: "this feeder's CURVE key is no longer on the encoder's allow-list (--feeder-keys); "
                    + "ask for a key that is"
            )
        case .granted(let granted):
            grant = granted
        }
        if let limit = grant.maxRequestsPerSecond {
            var allowance = self.allowances[grant.name] ?? RequestAllowance(perSecond: limit, now: now)
            let allowed = allowance.take(now: now, perSecond: limit)
            self.allowances[grant.name] = allowance
            guard allowed else {
                throw IngestError(
                    code: "rate_limited",
                    message: "key '\(grant.name)' may send at most \(limit) requests per second "
                        + "(its max-requests-per-second); slow down and send this one again"
                )
            }
        }
        if let stream = request.stream, !grant.allows(stream.description) {
            throw IngestError(
                code: "forbidden_stream",
                message: "key '\(grant.name)' may only touch streams whose id starts with "
                    + "'\(grant.streamPrefix ?? "")', not '\(stream)'"
            )
        }
        return grant
    }

    /// Refuses a new stream past the key's `max-streams`, and records the key as the stream's owner.
    private mutating func checkQuota(of grant: FeederGrant?, for stream: StreamID) throws(IngestError) {
        guard let grant, let limit = grant.maxStreams else { return }
        guard !self.scheduler.contains(stream) && self.pendingPlays[stream] == nil else { return }
        // Owners of streams that ended without an `end` (a failed play) are not counted.
        let owned = self.owners.count {
            $0.value == grant.name && (self.scheduler.contains($0.key) || self.pendingPlays[$0.key] != nil)
        }
        guard owned < limit else {
            throw IngestError(
                code: "quota_exceeded",
                message: "key '\(grant.name)' already has \(owned) streams, its limit (max-streams); "
                    + "stop one or wait for one to end"
            )
        }
        self.owners[stream] = grant.name
    }

    // MARK: Operations

    private mutating func accept(
        _ request: IngestRequest,
        from origin: RequestOrigin,
        grant: FeederGrant?,
        now: MonotonicTime,
        into actions: inout [Action]
    ) throws(IngestError) {
        guard let stream = request.stream else {
            // Only `status` may leave the stream out; a key limited to a prefix sees only its streams.
            var fields = self.statusFields(of: nil)
            if let prefix = grant?.streamPrefix, case .array(let streams)? = fields["streams"] {
                fields["streams"] = .array(
                    streams.filter {
                        guard case .object(let entry) = $0, case .string(let id)? = entry["stream"] else {
                            return false
                        }
                        return id.hasPrefix(prefix)
                    }
                )
            }
            self.reply(to: origin, fields, into: &actions)
            return
        }
        let generation = self.generations[stream, default: 0]
        switch request.operation {
        case .status:
            self.reply(to: origin, self.statusFields(of: stream), into: &actions)
        case .play(let wav, let loop):
            try self.checkStreamLimit(for: stream)
            try self.checkQuota(of: grant, for: stream)
            self.pendingPlays[stream, default: 0] += 1
            actions.append(
                Self.encode(
                    .play(wav: wav, loop: loop),
                    from: origin,
                    stream: stream,
                    generation: generation,
                    muLaw: self.wantsMuLaw(request)
                )
            )
        case .open(let sampleRate, let channels, let replies):
            if self.liveStreams[stream] != nil {
                throw IngestError(
                    code: "stream_already_open",
                    message:
                        "stream '\(stream)' is already open for PCM; send 'close' (or 'stop') before opening it again"
                )
            }
            try self.checkStreamLimit(for: stream)
            try self.checkQuota(of: grant, for: stream)
            self.liveStreams[stream] = LiveStream(channels: channels, replies: replies)
            self.scheduler.openLive(stream)
            actions.append(
                Self.encode(
                    .open(sampleRate: sampleRate, channels: channels),
                    from: origin,
                    stream: stream,
                    generation: generation,
                    muLaw: self.wantsMuLaw(request)
                )
            )
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
            var job = EncodingJob(origin: origin, stream: stream, generation: generation, work: .pcm(bytes))
            // A piece that completes no frame changes nothing here: it comes back only when a reply is owed.
            job.reportsNothingEncoded = origin.answersSuccess
            actions.append(.encode(job))
        case .close:
            guard self.liveStreams.removeValue(forKey: stream) != nil else { throw Self.notOpen(stream) }
            actions.append(Self.encode(.close, from: origin, stream: stream, generation: generation))
        case .stop:
            let wasLive = self.liveStreams.removeValue(forKey: stream) != nil
            let wasKnown = self.scheduler.contains(stream)
            self.generations[stream] = generation + 1
            self.staleMarkState[stream] = .ended
            self.marks.dropped(self.scheduler.queuedMarks(of: stream), on: stream, as: .ended)
            if wasLive {
                actions.append(
                    .encode(EncodingJob(origin: nil, stream: stream, generation: generation, work: .discard))
                )
            }
            if let end = self.scheduler.stop(stream) {
                self.publish(end, into: &actions)
            } else {
                // Stopped before it started: no `end` will say so to the ledger.
                self.marks.streamEnded(stream, now: now)
            }
            self.updateStreamGauge()
            self.reply(to: origin, ["stopped": .bool(wasKnown || wasLive)], into: &actions)
        case .clear:
            let wasKnown = self.scheduler.contains(stream) || self.pendingPlays[stream] != nil
            // Work accepted before the clear (a file being encoded, PCM in flight) is stale: dropped when it returns.
            self.generations[stream] = generation + 1
            self.staleMarkState[stream] = .cleared
            self.marks.dropped(self.scheduler.queuedMarks(of: stream), on: stream, as: .cleared)
            if let clear = self.scheduler.clear(stream, now: now) {
                self.publish(clear, into: &actions)
            }
            self.updateStreamGauge()
            self.reply(to: origin, ["cleared": .bool(wasKnown)], into: &actions)
        case .mark(let name):
            guard self.scheduler.contains(stream) || self.pendingPlays[stream] != nil || self.liveStreams[stream] != nil
            else {
                throw IngestError(
                    code: "unknown_stream",
                    message: "stream '\(stream)' is not playing, open or about to play; a mark goes after audio "
                        + "(send 'play' or 'open' first)"
                )
            }
            try self.marks.accept(name, on: stream, now: now)
            // Through the stream's encoding thread, so it lands behind the audio accepted before it.
            actions.append(Self.encode(.mark(name: name), from: origin, stream: stream, generation: generation))
        case .marks:
            self.reply(
                to: origin,
                self.marks.report(of: stream, sampleRate: self.format.sampleRate),
                into: &actions
            )
        }
    }

    /// The action handing `work` to the encoding thread of `stream`, answered to `origin`.
    private static func encode(
        _ work: EncodingJob.Work,
        from origin: RequestOrigin,
        stream: StreamID,
        generation: UInt64,
        muLaw: Bool = false
    ) -> Action {
        .encode(EncodingJob(origin: origin, stream: stream, generation: generation, work: work, muLaw: muLaw))
    }

    /// Whether a `play` or `open` gets a µ-law rendition: its `renditions`, or the encoder's default.
    private func wantsMuLaw(_ request: IngestRequest) -> Bool {
        (request.renditions ?? self.configuration.renditions).contains(.mulaw)
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
    private static func bestEffortRequestID(_ content: ArraySlice<[UInt8]>) -> JSONValue? {
        guard let header = content.first, header.count < 65536,
            case .object(let object)? = try? JSONValue.parse(header)
        else { return nil }
        return object["id"]
    }

    // MARK: Results

    /// Applies an encoding thread's result, received at `now`, and answers the request it came from.
    mutating func receive(result: EncodingResult, now: MonotonicTime, into actions: inout [Action]) {
        // What publishing from here stamps marks with.
        self.lastNow = max(self.lastNow, now)
        let stale = self.generations[result.stream, default: 0] != result.generation
        let stream = result.stream
        if result.origin?.operation == .play, let pending = self.pendingPlays[stream] {
            self.pendingPlays[stream] = pending > 1 ? pending - 1 : nil
        }
        switch result.outcome {
        case .played(let file):
            if stale {
                self.reply(to: result.origin, Self.stopped(stream), into: &actions)
                return
            }
            let queuedBefore = self.scheduler.status(of: stream).first?.queuedSamples ?? 0
            self.scheduler.enqueue(file.chunks, loop: file.loop, on: stream, now: now)
            self.reply(to: result.origin, self.playedFields(file, startsAfter: queuedBefore), into: &actions)
        case .opened:
            self.reply(to: result.origin, [:], into: &actions)
        case .encoded(let chunks, let frames):
            if !stale {
                self.scheduler.enqueue(chunks, loop: false, on: stream, now: now)
            }
            if result.origin?.answersSuccess == true {
                self.reply(to: result.origin, self.liveFields(stream, frames: frames), into: &actions)
            }
        case .closed(let chunks, let frames):
            if !stale {
                self.scheduler.enqueue(chunks, loop: false, on: stream, now: now)
            }
            // An `open` accepted since this `close` has made the stream live again: leave it live. A clear since
            // made its last audio stale, but the stream must still close.
            if self.liveStreams[stream] == nil {
                self.scheduler.closeLive(stream, now: now)
            }
            self.reply(to: result.origin, self.liveFields(stream, frames: frames), into: &actions)
        case .marked(let name, let chunks):
            var fields: JSONObject = ["name": .string(name)]
            if !stale && !chunks.isEmpty {
                self.scheduler.enqueue(chunks, loop: false, on: stream, now: now)
            }
            if stale {
                let state = self.staleMarkState[stream] ?? .cleared
                self.marks.dropped([name], on: stream, as: state)
                fields["state"] = .string(state.rawValue)
            } else if !self.scheduler.contains(stream) {
                // The stream played out (or failed to start) while the mark was on its way through.
                self.marks.dropped([name], on: stream, as: .ended)
                if self.pendingPlays[stream] == nil {
                    self.marks.streamEnded(stream, now: now)
                }
                fields["state"] = .string(MarkRecord.State.ended.rawValue)
            } else if let event = self.scheduler.enqueueMark(name, on: stream, now: now) {
                self.publish(event, into: &actions)
                fields["state"] = .string(MarkRecord.State.published.rawValue)
            } else {
                fields["state"] = .string(MarkRecord.State.queued.rawValue)
                fields["queued_ms"] = .number(
                    Double(self.milliseconds(self.scheduler.status(of: stream).first?.queuedSamples ?? 0))
                )
            }
            self.reply(to: result.origin, fields, into: &actions)
        case .failed(let error):
            // A failed `open`, or a live encoder lost flushing for a mark: the stream is no longer live (it ends
            // once what it has queued has played), rather than half-open with every later `pcm` refused.
            if !stale, result.origin?.operation == .open || result.origin?.operation == .mark {
                self.liveStreams[stream] = nil
                self.scheduler.closeLive(stream, now: now)
            }
            if !self.scheduler.contains(stream) && self.pendingPlays[stream] == nil {
                // Gone without an `end` (a failed play or open): its marks will never be reached.
                self.marks.streamEnded(stream, now: now)
            }
            self.reply(to: result.origin, error, into: &actions)
        }
        self.updateStreamGauge()
    }

    private func playedFields(_ file: EncodingResult.PlayedFile, startsAfter queuedSamples: UInt64) -> JSONObject {
        let samples = file.chunks.reduce(UInt64(0)) { $0 + UInt64($1.sampleCount) }
        let inputDuration = file.inputDuration.components
        var fields: JSONObject = [
            "duration_ms": .number(Double(self.milliseconds(samples))),
            "frames": .number(Double(file.frames)),
            "chunks": .number(Double(file.chunks.count)),
            "loop": .bool(file.loop),
            "starts_in_ms": .number(Double(self.milliseconds(queuedSamples))),
            "input": .object([
                "encoding": .string("\(file.inputFormat.encoding)"),
                "sample_rate": .number(Double(file.inputFormat.sampleRate)),
                "channels": .number(Double(file.inputFormat.channels)),
                "duration_ms": .number(
                    Double(inputDuration.seconds * 1000 + inputDuration.attoseconds / 1_000_000_000_000_000)
                ),
            ]),
        ]
        if !file.warnings.isEmpty {
            fields["warnings"] = .array(file.warnings.map { .string($0.description) })
        }
        return fields
    }

    private func liveFields(_ stream: StreamID, frames: Int) -> JSONObject {
        let queued = self.scheduler.queuedSamples(of: stream)
        return ["frames": .number(Double(frames)), "queued_ms": .number(Double(self.milliseconds(queued)))]
    }

    private static func stopped(_ stream: StreamID) -> IngestError {
        IngestError(code: "stopped", message: "stream '\(stream)' was stopped or cleared before this audio was queued")
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

    private func reply(to origin: RequestOrigin?, _ fields: JSONObject, into actions: inout [Action]) {
        guard let origin else { return }
        let reply = IngestReply.success(
            operation: origin.operation.rawValue,
            stream: origin.stream,
            requestID: origin.requestID,
            fields
        )
        actions.append(.reply(reply, to: origin.routingFrames, refusal: nil))
    }

    private func reply(to origin: RequestOrigin?, _ error: IngestError, into actions: inout [Action]) {
        guard let origin else { return }
        self.refuse(origin.routingFrames, error, requestID: origin.requestID, into: &actions)
    }

    private func refuse(
        _ routingFrames: [[UInt8]],
        _ error: IngestError,
        requestID: JSONValue?,
        into actions: inout [Action]
    ) {
        self.metrics.countError(code: error.code)
        actions.append(.reply(.failure(error, requestID: requestID), to: routingFrames, refusal: error.code))
    }

    // MARK: Bus

    /// Handles a message the bus's XPUB socket received at `now`: a subscription or unsubscription (see
    /// ``receive(subscription:into:)``) or a gateway's ``BusMarkReport`` (first byte 2). Returns the report's error
    /// when a report is malformed, for the executor's log; it is counted.
    @discardableResult
    mutating func receive(
        upstream frames: [[UInt8]],
        now: MonotonicTime,
        into actions: inout [Action]
    )
        -> BusMarkReportError?
    {
        guard frames.count == 1, frames[0].first == BusMarkReport.tag else {
            self.receive(subscription: frames, into: &actions)
            return nil
        }
        do {
            let report = try BusMarkReport(decoding: frames[0])
            self.metrics.markReports.increment()
            self.marks.apply(report, now: now)
            return nil
        } catch {
            self.metrics.invalidMarkReports.increment()
            return error
        }
    }

    /// Handles a message the bus's XPUB socket received: a subscriber's subscription (first byte 1) or
    /// unsubscription (0), then the topic. A new subscriber to a stream is sent the stream's replay window at once.
    mutating func receive(subscription frames: [[UInt8]], into actions: inout [Action]) {
        guard frames.count == 1, let frame = frames.first, frame.first == 1 else { return }
        // A µ-law rendition's topic: its own window.
        if let topic = String(validating: frame.dropFirst(), as: UTF8.self),
            let replay = self.muLaw.replay(ofTopic: Substring(topic))
        {
            self.metrics.subscriptions.increment()
            actions.append(contentsOf: replay.map { .publish($0) })
            self.metrics.chunksReplayed.increment(by: Int64(replay.count))
            return
        }
        // The control topic, or everything (an empty prefix): nothing to replay.
        guard let id = String(validating: frame.dropFirst(), as: UTF8.self), let stream = try? StreamID(id) else {
            return
        }
        self.metrics.subscriptions.increment()
        let replay = self.replayWindows.replay(of: stream)
        for message in replay {
            actions.append(.publish(message))
        }
        self.metrics.chunksReplayed.increment(by: Int64(replay.count))
    }

    /// Publishes the whole catalogue of started streams on the control topic, in pages.
    private mutating func publishCatalogue(into actions: inout [Action]) {
        let muLaw = self.muLaw
        let entries = self.scheduler.status(of: nil).lazy.filter(\.hasStarted).map {
            BusCatalogue.Entry(
                stream: $0.id,
                isLive: true,
                positionSamples: $0.position,
                hasMuLaw: muLaw.hasMuLaw($0.id)
            )
        }
        var page: [BusCatalogue.Entry] = []
        page.reserveCapacity(BusCatalogue.maximumEntriesPerMessage)
        for entry in entries {
            page.append(entry)
            if page.count == BusCatalogue.maximumEntriesPerMessage {
                self.publishCatalogue(page, into: &actions)
                page.removeAll(keepingCapacity: true)
            }
        }
        if !page.isEmpty {
            self.publishCatalogue(page, into: &actions)
        }
    }

    private mutating func publishCatalogue(_ entries: [BusCatalogue.Entry], into actions: inout [Action]) {
        self.catalogueCounter += 1
        actions.append(
            .publish(.catalogue(BusCatalogue(entries: entries), counter: self.catalogueCounter, format: self.format))
        )
    }

    private mutating func publish(_ event: StreamScheduler.Event, into actions: inout [Action]) {
        switch event {
        case .start(let stream):
            let epoch = self.nextEpoch
            // 0 is what a version-1 header reads as: never a real epoch.
            self.nextEpoch = epoch == UInt32.max ? 1 : epoch + 1
            self.epochs[stream] = epoch
            self.replayWindows.started(stream)
            actions.append(.publish(.start(streamID: stream, format: self.format, epoch: epoch)))
            // Gateways not subscribed to the stream learn of it from the control topic.
            self.publishCatalogue(
                [
                    BusCatalogue.Entry(
                        stream: stream,
                        isLive: true,
                        positionSamples: 0,
                        hasMuLaw: self.muLaw.hasMuLaw(stream)
                    )
                ],
                into: &actions
            )
        case .chunk(let stream, let chunk, let sequence, let timestamp, let lateness):
            let message = BusMessage.chunk(
                streamID: stream,
                chunk: chunk,
                sequence: sequence,
                timestampSamples: timestamp,
                format: self.format,
                epoch: self.epochs[stream] ?? 0
            )
            actions.append(.publish(message))
            self.replayWindows.record(message, on: stream)
            if let bytes = chunk.muLaw {
                let start = BusMessage.start(streamID: stream, format: self.format, epoch: self.epochs[stream] ?? 0)
                for muLawMessage in self.muLaw.published(message, muLaw: bytes, start: start) {
                    actions.append(.publish(muLawMessage))
                }
            }
            self.metrics.chunksPublished.increment()
            self.metrics.framesPublished.increment(by: Int64(chunk.frameCount))
            self.metrics.bytesPublished.increment(by: Int64(chunk.bytes.count))
            self.metrics.lateness.recordNanoseconds(max(0, lateness))
        case .clear(let stream, let sequence, let timestamp):
            let clear = BusMessage.clear(
                streamID: stream,
                nextSequence: sequence,
                positionSamples: timestamp,
                format: self.format,
                epoch: self.epochs[stream] ?? 0
            )
            actions.append(.publish(clear))
            if let muLawClear = self.muLaw.copy(of: clear, clearing: true) {
                actions.append(.publish(muLawClear))
            }
            // A subscriber joining after the clear must not be replayed the audio it dropped.
            self.replayWindows.ended(stream)
            self.metrics.clears.increment()
        case .mark(let stream, let name, let sequence, let timestamp):
            let epoch = self.epochs[stream] ?? 0
            let mark = BusMessage.mark(
                streamID: stream,
                name: name,
                nextSequence: sequence,
                positionSamples: timestamp,
                format: self.format,
                epoch: epoch
            )
            actions.append(.publish(mark))
            // Phone calls follow the µ-law topic: they get the mark there, right behind the µ-law chunk before it.
            if let muLawMark = self.muLaw.copy(of: mark) {
                actions.append(.publish(muLawMark))
            }
            self.marks.published(name, on: stream, epoch: epoch, positionSamples: timestamp, now: self.lastNow)
            self.metrics.marks.increment()
        case .end(let stream, let sequence, let timestamp, let stopped):
            let end = BusMessage.end(
                streamID: stream,
                chunkCount: sequence,
                totalSamples: timestamp,
                stopped: stopped,
                format: self.format,
                epoch: self.epochs.removeValue(forKey: stream) ?? 0
            )
            actions.append(.publish(end))
            if let muLawEnd = self.muLaw.ended(end) {
                actions.append(.publish(muLawEnd))
            }
            self.replayWindows.ended(stream)
            self.owners[stream] = nil
            self.staleMarkState[stream] = nil
            self.marks.streamEnded(stream, now: self.lastNow)
            self.publishCatalogue(
                [BusCatalogue.Entry(stream: stream, isLive: false, positionSamples: timestamp)],
                into: &actions
            )
        }
    }

    private func updateStreamGauge() {
        self.metrics.streams.set(Int64(self.scheduler.streamCount))
    }
}
