import DequeModule
import Logging
import NIOCore
import Prometheus
import Synchronization
import WavecastCore

/// Turns bus messages into paced, pre-framed events for the event loops. Runs on the bus thread.
///
/// For each chunk of a subscribed stream it computes the send deadline (``StreamTimeline``),
/// builds the client JSON and the WebSocket frame once (and the `?compat=seed` variant), keeps it
/// in the stream's ``BurstWindow`` and hands it to the loops with listeners of the stream. Which
/// streams are subscribed, and which loops want each, is the ``SubscriptionTable``'s to say; the
/// router returns the socket changes it decides for ``BusSubscriber`` to make.
struct StreamRouter {
    /// A change to the SUB socket's subscriptions, for the bus thread to make.
    enum SocketAction: Sendable, Hashable {
        case subscribe(StreamID)
        case unsubscribe(StreamID)
    }

    private let configuration: GatewayConfiguration
    private let fanout: FanoutGroup
    private let directory: StreamDirectory
    private let metrics: GatewayMetrics
    private let logger: Logger
    private let allocator = ByteBufferAllocator()
    private let jitterNanoseconds: UInt64
    private let timeoutNanoseconds: UInt64
    private var timelines: [StreamID: StreamTimeline] = [:]
    private var subscriptions: SubscriptionTable
    /// Each subscribed stream's start and recent events, for a loop's first listener.
    private var windows: [StreamID: BurstWindow] = [:]
    /// Streams just subscribed, waiting for the encoder's replay to make their first listeners' burst.
    private var catchUps: [StreamID: ReplayCatchUp] = [:]
    /// The loops with `?compat=seed` listeners of each stream: only their streams' chunks get a seed frame.
    private var compatLoops: [StreamID: LoopSet] = [:]
    /// When each stream was last listed in a catalogue (monotonic nanoseconds).
    private var catalogued: [StreamID: UInt64] = [:]
    private var lastSerial: UInt64 = 0
    private let burstNanoseconds: UInt64
    private let resumeNanoseconds: UInt64
    /// What the loops said of marks since the last report up the bus, in the order it came.
    private var markNews: [BusMarkReport.Entry] = []
    /// Where each mark is in ``markNews``.
    private var markNewsIndex: [MarkKey: Int] = [:]

    /// A mark, as the loops name it: its stream, the stream's epoch and its name.
    private struct MarkKey: Hashable {
        var stream: StreamID
        var epoch: UInt32
        var name: String
    }

    init(
        configuration: GatewayConfiguration,
        fanout: FanoutGroup,
        directory: StreamDirectory,
        metrics: GatewayMetrics,
        logger: Logger
    ) {
        self.configuration = configuration
        self.fanout = fanout
        self.directory = directory
        self.metrics = metrics
        self.logger = logger
        self.jitterNanoseconds = configuration.jitter.wholeNanoseconds
        self.timeoutNanoseconds = configuration.streamTimeout.wholeNanoseconds
        self.burstNanoseconds = configuration.burst.wholeNanoseconds
        self.resumeNanoseconds = configuration.resumeWindow.wholeNanoseconds
        self.subscriptions = SubscriptionTable(unsubscribeDelay: configuration.unsubscribeDelay.wholeNanoseconds)
    }

    // MARK: Interest

    /// Takes a loop's report of its first or last listener of a stream; returns the socket changes to make.
    mutating func interestChanged(_ change: InterestChange, now: UInt64) -> [SocketAction] {
        switch change {
        case .joined(let stream, let loop, let resuming):
            return self.carryOut(self.subscriptions.loopJoined(stream, loop: loop), now: now, wholeWindow: resuming)
        case .left(let stream, let loop):
            self.subscriptions.loopLeft(stream, loop: loop, now: now)
            return []
        case .compatJoined(let stream, let loop):
            self.compatLoops[stream, default: LoopSet()].insert(loop)
            return []
        case .compatLeft(let stream, let loop):
            self.compatLoops[stream]?.remove(loop)
            if self.compatLoops[stream]?.isEmpty == true {
                self.compatLoops[stream] = nil
            }
            return []
        case .markSent(let stream, let epoch, let name, let listeners):
            self.noteMark(stream, epoch: epoch, name: name) { $0.sent += listeners }
            return []
        case .markCut(let stream, let epoch, let name):
            self.noteMark(stream, epoch: epoch, name: name) { $0.cut = true }
            return []
        case .markEchoed(let stream, let epoch, let name):
            self.metrics.markEchoes.increment()
            self.noteMark(stream, epoch: epoch, name: name) { $0.echoed += 1 }
            return []
        }
    }

    // MARK: Marks

    private mutating func noteMark(
        _ stream: StreamID,
        epoch: UInt32,
        name: String,
        _ change: (inout BusMarkReport.Entry) -> Void
    ) {
        let key = MarkKey(stream: stream, epoch: epoch, name: name)
        if let index = self.markNewsIndex[key] {
            change(&self.markNews[index])
            return
        }
        var entry = BusMarkReport.Entry(stream: stream, epoch: epoch, name: name)
        change(&entry)
        self.markNewsIndex[key] = self.markNews.count
        self.markNews.append(entry)
    }

    /// Most marks in one report: an entry is at most ~700 bytes (a 256-byte name whose quotes and backslashes
    /// escape to two; control characters are refused at ingest), so a report stays under
    /// ``BusMarkReport/maximumBytes``.
    static let marksPerReport = 50

    /// The reports to send up the bus for what the loops said of marks since the last call, from `gateway`; none
    /// when there is no news. One report per wake-up of the bus thread at most (per ``marksPerReport`` marks):
    /// echoes that come together travel together.
    mutating func takeMarkReports(gateway: String) -> [BusMarkReport] {
        guard !self.markNews.isEmpty else { return [] }
        var reports: [BusMarkReport] = []
        var start = 0
        while start < self.markNews.count {
            let end = min(start + Self.marksPerReport, self.markNews.count)
            reports.append(BusMarkReport(gateway: gateway, entries: Array(self.markNews[start..<end])))
            start = end
        }
        self.markNews.removeAll(keepingCapacity: true)
        self.markNewsIndex.removeAll(keepingCapacity: true)
        return reports
    }

    /// When ``expire(now:)`` next has a subscription to drop, if ever.
    var nextExpiry: UInt64? { self.subscriptions.nextExpiry }

    /// Drops the subscriptions whose delay ran out; returns the socket changes to make.
    mutating func expire(now: UInt64) -> [SocketAction] {
        self.carryOut(self.subscriptions.expire(now: now), now: now)
    }

    /// Carries out the subscription table's `actions`. A loop's first listener gets the stream's burst; the loop gets
    /// the whole resume window only when that listener resumes (`wholeWindow`): copying ten seconds of chunks to
    /// every loop on every first join is work nobody asked for (it once moved a soak's lateness p99 from 3 to 50 ms).
    private mutating func carryOut(
        _ actions: [SubscriptionTable.Action],
        now: UInt64,
        wholeWindow: Bool = false
    ) -> [SocketAction] {
        var socketActions: [SocketAction] = []
        for action in actions {
            switch action {
            case .subscribe(let stream):
                self.metrics.subscribedStreams.set(Int64(self.subscriptions.subscribedCount))
                self.catchUps[stream] = ReplayCatchUp(deadline: now &+ Self.replayWait)
                socketActions.append(.subscribe(stream))
            case .unsubscribe(let stream):
                self.metrics.subscribedStreams.set(Int64(self.subscriptions.subscribedCount))
                // Nobody here listens: what is kept would only be stale when someone does again.
                self.timelines[stream] = nil
                self.windows[stream] = nil
                self.catchUps[stream] = nil
                self.updateStreamGauge()
                socketActions.append(.unsubscribe(stream))
            case .sendBurst(let stream, let loop):
                guard let window = self.windows[stream], !window.isEmpty else { continue }
                // What is due goes now, the rest at its time.
                var burst: [OutgoingEvent] = window.start.map { [$0] } ?? []
                for event in wholeWindow ? window.recent[...] : window.burst {
                    if event.deadline <= now {
                        burst.append(event)
                    } else {
                        var single = LoopSet()
                        single.insert(loop)
                        self.fanout.dispatch(event, to: single)
                    }
                }
                self.fanout.sendBurst(burst, of: stream, toLoop: loop, now: now)
            }
        }
        return socketActions
    }

    /// Handles one decoded bus message that arrived at `arrival` (monotonic nanoseconds).
    mutating func handle(_ message: BusMessage, arrival: UInt64) {
        let header = message.header
        switch header.kind {
        case .heartbeat:
            self.metrics.lastHeartbeat.store(arrival, ordering: .relaxed)
            return
        case .catalogue:
            self.handleCatalogue(message, arrival: arrival)
            return
        case .start, .chunk, .end, .clear, .mark:
            break
        }
        // BusMessage(frames:) has checked the id for every other kind. A rendition other than MP3 is handled under
        // its own key (its topic), as if it were a stream of its own.
        guard let stream = (try? StreamID(message.streamID))?.key(for: header.rendition) else { return }
        // ZeroMQ matches prefixes: a subscription to "call-1" also brings "call-10".
        guard self.subscriptions.isSubscribed(stream) else {
            self.metrics.unwantedBusMessages.increment()
            return
        }
        if header.kind == .chunk, self.catchUps[stream] != nil {
            self.catchUps[stream]!.hold(message)
            if header.isReplayEnd {
                self.finishCatchUp(of: stream, now: arrival)
            }
            return
        }
        if header.isReplay {
            // Another gateway's new subscription: this one has these chunks already.
            return
        }
        if let timeline = self.timelines[stream] {
            switch timeline.admit(epoch: header.epoch, isStart: header.kind == .start, arrival: arrival) {
            case .current:
                break
            case .stale:
                self.metrics.staleEpochMessages.increment()
                return
            case .takeOver:
                self.metrics.sourceTakeOvers.increment()
                self.logger.notice(
                    "Stream taken over by a new source",
                    metadata: ["stream": "\(stream)", "from_epoch": "\(timeline.epoch)", "epoch": "\(header.epoch)"]
                )
                if header.kind != .start {
                    // Its start went by unseen: served as a stream joined late, greeted with a start made from it.
                    self.timelines[stream] = nil
                }
            }
        }
        if header.kind == .clear {
            // What a catch-up holds is audio from before the clear: dropped, not sent.
            self.catchUps[stream] = nil
        } else if header.kind != .chunk, self.catchUps[stream] != nil {
            // A start or end overtakes nothing: what was held goes out first.
            self.finishCatchUp(of: stream, now: arrival)
        }
        switch header.kind {
        case .start:
            if header.rendition == .mulaw {
                self.directory.muLaw.muLawStarted(stream.stream)
            }
            var timeline =
                self.timelines[stream]
                ?? StreamTimeline(sampleRate: Int(header.sampleRate), arrival: arrival, epoch: header.epoch)
            timeline.restart(sampleRate: Int(header.sampleRate), arrival: arrival, epoch: header.epoch)
            let startDeadline = timeline.scheduleEvent(arrival: arrival, jitter: self.jitterNanoseconds)
            self.timelines[stream] = timeline
            self.directory.update(stream) { entry in
                entry = StreamDirectory.Entry(
                    sampleRate: Int(header.sampleRate),
                    channels: Int(header.channels),
                    bitrate: Int(header.bitrate),
                    positionSamples: 0,
                    lastSequence: nil,
                    gaps: 0
                )
            }
            self.updateStreamGauge()
            let json = ClientMessage.start(
                stream: stream,
                sampleRate: Int(header.sampleRate),
                channels: Int(header.channels),
                bitrate: Int(header.bitrate),
                epoch: header.epoch
            )
            self.dispatch(stream, .start, json: json, seedJSON: nil, deadline: startDeadline, epoch: header.epoch)
        case .chunk:
            self.handleChunk(message, stream: stream, arrival: arrival)
        case .end:
            // Behind the stream's last chunk.
            var deadline = arrival
            if var timeline = self.timelines.removeValue(forKey: stream) {
                deadline = timeline.scheduleEvent(arrival: arrival, jitter: self.jitterNanoseconds)
            }
            self.directory.remove(stream)
            self.updateStreamGauge()
            self.dispatch(
                stream,
                .end,
                json: ClientMessage.end(stream: stream, stopped: header.isStopped),
                seedJSON: nil,
                deadline: deadline
            )
        case .clear:
            // At once, not paced: the loops drop the stream's chunks still waiting (their serials are older)
            // and send the listeners the clear ahead of anything newer.
            self.metrics.clears.increment()
            self.dispatch(stream, .clear, json: ClientMessage.clear(stream: stream), seedJSON: nil, deadline: arrival)
        case .mark:
            // BusMessage(frames:) checked the name is UTF-8.
            let name = String(decoding: message.payload, as: UTF8.self)
            var deadline = arrival
            if var timeline = self.timelines[stream] {
                deadline = timeline.scheduleMark(arrival: arrival)
                self.timelines[stream] = timeline
            }
            self.metrics.marks.increment()
            self.dispatch(
                stream,
                .mark(name: name, epoch: header.epoch),
                json: ClientMessage.mark(stream: stream, name: name),
                seedJSON: nil,
                deadline: deadline
            )
        case .heartbeat, .catalogue:
            break
        }
    }

    // MARK: Replays and the catalogue

    /// How long a stream just subscribed waits for the encoder's replay before its live chunks go
    /// out without one (nanoseconds): a round trip to the encoder, with room to spare.
    static let replayWait: UInt64 = 250_000_000

    /// When ``expireCatchUps(now:)`` next has a wait to end, if ever.
    var nextCatchUpDeadline: UInt64? {
        self.catchUps.values.lazy.map(\.deadline).min()
    }

    /// Ends the waits for replays that did not come in time: what was held goes out.
    mutating func expireCatchUps(now: UInt64) {
        for (stream, catchUp) in self.catchUps where catchUp.deadline <= now {
            self.finishCatchUp(of: stream, now: now)
        }
    }

    /// Sends what `stream`'s catch-up held at once, as the burst of its first listeners: the
    /// newest burst window's worth from a sync chunk. Live chunks then carry on from the next
    /// sequence, paced afresh.
    private mutating func finishCatchUp(of stream: StreamID, now: UInt64) {
        guard let catchUp = self.catchUps.removeValue(forKey: stream), let last = catchUp.chunks.last else { return }
        let burst = catchUp.burst(limitNanoseconds: self.burstNanoseconds)
        if self.timelines[stream] == nil {
            let header = last.header
            self.timelines[stream] = StreamTimeline(
                sampleRate: Int(header.sampleRate),
                arrival: now,
                epoch: header.epoch
            )
            self.directory.update(stream) { entry in
                entry.sampleRate = Int(header.sampleRate)
                entry.channels = Int(header.channels)
                entry.bitrate = Int(header.bitrate)
            }
            self.updateStreamGauge()
            self.dispatchStart(of: stream, from: header, deadline: now)
        }
        self.timelines[stream]!.replayed(
            through: last.header.sequence,
            timestamp: last.header.timestampSamples,
            arrival: now
        )
        self.timelines[stream]!.sent(
            sequence: last.header.sequence,
            endSamples: last.header.timestampSamples + UInt64(last.header.durationSamples)
        )
        self.metrics.replayedChunks.increment(by: Int64(burst.count { $0.header.isReplay }))
        for message in burst {
            self.emitChunk(message, stream: stream, deadline: now)
        }
    }

    private mutating func handleCatalogue(_ message: BusMessage, arrival: UInt64) {
        guard let catalogue = try? BusCatalogue(decoding: message.payload, count: Int(message.header.frameCount)) else {
            return
        }
        let header = message.header
        for entry in catalogue.entries {
            self.directory.muLaw.record(entry)
            if entry.isLive {
                self.catalogued[entry.stream] = arrival
                // A subscribed stream's own messages say more, and sooner.
                guard self.timelines[entry.stream] == nil else { continue }
                self.directory.update(entry.stream) { directoryEntry in
                    directoryEntry.sampleRate = Int(header.sampleRate)
                    directoryEntry.channels = Int(header.channels)
                    directoryEntry.bitrate = Int(header.bitrate)
                    directoryEntry.positionSamples = entry.positionSamples
                }
            } else {
                self.catalogued[entry.stream] = nil
                if self.timelines[entry.stream] == nil {
                    self.directory.remove(entry.stream)
                }
            }
        }
    }

    private mutating func handleChunk(_ message: BusMessage, stream: StreamID, arrival: UInt64) {
        let header = message.header
        let sampleRate = max(1, Int(header.sampleRate))
        let missedStart = self.timelines[stream] == nil
        if missedStart {
            // A fresh gateway, or one that missed the start: serve the stream from this chunk on.
            self.timelines[stream] = StreamTimeline(sampleRate: sampleRate, arrival: arrival, epoch: header.epoch)
            self.directory.update(stream) { entry in
                entry.sampleRate = sampleRate
                entry.channels = Int(header.channels)
                entry.bitrate = Int(header.bitrate)
            }
            self.updateStreamGauge()
        }
        let decision = self.timelines[stream]!.schedule(
            sequence: header.sequence,
            timestamp: header.timestampSamples,
            arrival: arrival,
            jitter: self.jitterNanoseconds
        )
        if decision.missing > 0 {
            self.metrics.sequenceGaps.increment(by: Int64(decision.missing))
            self.logger.warning(
                "Sequence gap on the bus",
                metadata: ["stream": "\(stream)", "missing": "\(decision.missing)", "sequence": "\(header.sequence)"]
            )
        }
        self.timelines[stream]!.sent(
            sequence: header.sequence,
            endSamples: header.timestampSamples + UInt64(header.durationSamples)
        )
        if missedStart {
            self.dispatchStart(of: stream, from: header, deadline: decision.deadline)
        }
        self.emitChunk(message, stream: stream, deadline: decision.deadline)
    }

    /// The `start` of a stream this gateway joined after its encoder published it (it subscribed late, or was
    /// started late), made from a chunk's header: its listeners are greeted with it as with the real one, and it
    /// names the epoch they need for `?resume=`.
    private mutating func dispatchStart(of stream: StreamID, from header: BusHeader, deadline: UInt64) {
        let json = ClientMessage.start(
            stream: stream,
            sampleRate: Int(header.sampleRate),
            channels: Int(header.channels),
            bitrate: Int(header.bitrate),
            epoch: header.epoch
        )
        self.dispatch(stream, .start, json: json, seedJSON: nil, deadline: deadline, epoch: header.epoch)
    }

    /// Builds a chunk's frames and hands it to the loops at `deadline`.
    private mutating func emitChunk(_ message: BusMessage, stream: StreamID, deadline: UInt64) {
        let header = message.header
        let sampleRate = max(1, Int(header.sampleRate))
        let timestamp = MediaClock.nanoseconds(samples: header.timestampSamples, sampleRate: sampleRate) / 1000
        let duration = MediaClock.nanoseconds(samples: UInt64(header.durationSamples), sampleRate: sampleRate)
        // A µ-law chunk goes to Twilio calls: the shared tail of their `media` messages (each call adds its head).
        let json =
            header.rendition == .mulaw
            ? TwilioFrames.mediaTail(message.payload)
            : ClientMessage.chunk(
                payload: message.payload,
                isSync: header.isSync,
                sequence: header.sequence,
                timestampMicroseconds: timestamp,
                durationMicroseconds: duration / 1000,
                epoch: header.epoch
            )
        // The prototype's shape only for streams a `?compat=seed` listener takes.
        let seed =
            self.compatLoops[stream] == nil
            ? nil : ClientMessage.seedChunk(payload: message.payload, isSync: header.isSync)
        self.dispatch(
            stream,
            .chunk(isSync: header.isSync, sequence: header.sequence, durationNanoseconds: duration),
            json: json,
            seedJSON: seed,
            deadline: deadline,
            epoch: header.epoch
        )
    }

    /// Copies every stream's figures (position, last sequence, gaps) to the directory, under one lock:
    /// `/streams` reads them there, a few times a second at most, so they are not written per chunk.
    func publishFigures() {
        self.directory.record(self.timelines.lazy.map { ($0.key, $0.value.figures) })
    }

    /// Forgets streams silent for longer than the stream timeout (their encoder went away without an `end`).
    mutating func expireSilentStreams(now: UInt64) {
        for (stream, seen) in self.catalogued where now &- seen > self.timeoutNanoseconds {
            // Its encoder went away: no catalogue has listed it for a while.
            self.catalogued[stream] = nil
            self.directory.muLaw.forget(stream)
            if self.timelines[stream] == nil {
                self.directory.remove(stream)
            }
        }
        for (stream, timeline) in self.timelines where now &- timeline.lastArrival > self.timeoutNanoseconds {
            self.timelines[stream] = nil
            self.directory.remove(stream)
            self.logger.notice("Stream fell silent; forgetting it", metadata: ["stream": "\(stream)"])
            self.dispatch(
                stream,
                .end,
                json: ClientMessage.end(stream: stream, stopped: true),
                seedJSON: nil,
                deadline: now
            )
        }
        self.updateStreamGauge()
    }

    private mutating func dispatch(
        _ stream: StreamID,
        _ kind: OutgoingEvent.Kind,
        json: [UInt8],
        seedJSON: [UInt8]?,
        deadline: UInt64,
        epoch: UInt32 = 0
    ) {
        self.lastSerial += 1
        let event = OutgoingEvent(
            stream: stream,
            kind: kind,
            // A rendition's events carry their JSON alone: its listeners frame it with their own head.
            frame: stream.rendition == .mp3
                ? OutgoingEvent.frame(json, allocator: self.allocator) : self.allocator.buffer(bytes: json),
            seedFrame: seedJSON.map { OutgoingEvent.frame($0, allocator: self.allocator) },
            deadline: deadline,
            serial: self.lastSerial,
            epoch: epoch
        )
        if self.subscriptions.isSubscribed(stream) {
            self.windows[
                stream,
                // Calls (a rendition's key) do not resume: they keep only their burst.
                default: BurstWindow(
                    limitNanoseconds: self.burstNanoseconds,
                    keepNanoseconds: stream.rendition == .mp3 ? self.resumeNanoseconds : 0
                )
            ].remember(event)
        }
        let loops = self.subscriptions.loops(of: stream)
        if !loops.isEmpty {
            self.fanout.dispatch(event, to: loops)
        }
    }

    private func updateStreamGauge() {
        // A rendition's key has a timeline of its own, but is not another stream.
        self.metrics.streams.set(Int64(self.timelines.keys.count { $0.rendition == .mp3 }))
    }
}
