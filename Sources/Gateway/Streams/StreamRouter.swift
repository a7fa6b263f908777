import Logging
import NIOCore
import WavecastCore

/// Turns bus messages into paced, pre-framed events for the event loops. Runs on the bus thread.
///
/// For each chunk it computes the send deadline (``StreamTimeline``), builds the client JSON and
/// the WebSocket frame once (and the `?compat=seed` variant), and hands the event to every loop.
struct StreamRouter {
    private let configuration: GatewayConfiguration
    private let fanout: FanoutGroup
    private let directory: StreamDirectory
    private let metrics: GatewayMetrics
    private let logger: Logger
    private let allocator = ByteBufferAllocator()
    private let jitterNanoseconds: UInt64
    private let timeoutNanoseconds: UInt64
    private var timelines: [StreamID: StreamTimeline] = [:]

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
    }

    /// Handles one decoded bus message that arrived at `arrival` (monotonic nanoseconds).
    mutating func handle(_ message: BusMessage, arrival: UInt64) {
        let header = message.header
        if header.kind == .heartbeat {
            self.metrics.lastHeartbeat.store(arrival, ordering: .relaxed)
            return
        }
        // BusMessage(frames:) has checked the id for every other kind.
        guard let stream = try? StreamID(message.streamID) else { return }
        switch header.kind {
        case .start:
            var timeline =
                self.timelines[stream] ?? StreamTimeline(sampleRate: Int(header.sampleRate), arrival: arrival)
            timeline.restart(sampleRate: Int(header.sampleRate), arrival: arrival)
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
                bitrate: Int(header.bitrate)
            )
            self.dispatch(stream, .start, json: json, seedJSON: nil, deadline: startDeadline)
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
        case .heartbeat:
            break
        }
    }

    private mutating func handleChunk(_ message: BusMessage, stream: StreamID, arrival: UInt64) {
        let header = message.header
        let sampleRate = max(1, Int(header.sampleRate))
        if self.timelines[stream] == nil {
            // A fresh gateway, or one that missed the start: serve the stream from this chunk on.
            self.timelines[stream] = StreamTimeline(sampleRate: sampleRate, arrival: arrival)
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
        self.directory.update(stream) { entry in
            entry.positionSamples = header.timestampSamples + UInt64(header.durationSamples)
            entry.lastSequence = header.sequence
            entry.gaps += decision.missing
        }
        let timestamp = MediaClock.nanoseconds(samples: header.timestampSamples, sampleRate: sampleRate) / 1000
        let duration = MediaClock.nanoseconds(samples: UInt64(header.durationSamples), sampleRate: sampleRate)
        let json = ClientMessage.chunk(
            payload: message.payload,
            isSync: header.isSync,
            sequence: header.sequence,
            timestampMicroseconds: timestamp,
            durationMicroseconds: duration / 1000
        )
        let seed = ClientMessage.seedChunk(payload: message.payload, isSync: header.isSync)
        self.dispatch(
            stream,
            .chunk(isSync: header.isSync, sequence: header.sequence, durationNanoseconds: duration),
            json: json,
            seedJSON: seed,
            deadline: decision.deadline
        )
    }

    /// Forgets streams silent for longer than the stream timeout (their encoder went away without an `end`).
    mutating func expireSilentStreams(now: UInt64) {
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

    private func dispatch(
        _ stream: StreamID,
        _ kind: OutgoingEvent.Kind,
        json: [UInt8],
        seedJSON: [UInt8]?,
        deadline: UInt64
    ) {
        let event = OutgoingEvent(
            stream: stream,
            kind: kind,
            frame: OutgoingEvent.frame(json, allocator: self.allocator),
            seedFrame: seedJSON.map { OutgoingEvent.frame($0, allocator: self.allocator) },
            deadline: deadline
        )
        self.fanout.dispatch(event)
    }

    private func updateStreamGauge() {
        self.metrics.streams.set(Int64(self.timelines.count))
    }
}
