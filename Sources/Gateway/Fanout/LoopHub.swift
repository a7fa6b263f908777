import DequeModule
import NIOCore
import WavecastCore

/// One event loop's share of the fan-out: the listeners on this loop, per stream, and each
/// stream's recent chunks for the burst a new listener gets.
///
/// Every chunk reaches each loop once (one hop per loop per chunk); the loop then writes the same
/// pre-built buffer to each of its listeners and flushes each once. Confined to its loop.
final class LoopHub {
    private struct StreamListeners {
        var listeners: [ListenerHandler] = []
        /// Recent chunks, oldest first, covering at most the burst window.
        var recent: Deque<OutgoingEvent> = []
        var recentNanoseconds: UInt64 = 0
        /// The `start` of the stream playing now, for listeners who join mid-stream.
        var start: OutgoingEvent?
        /// Events gathered while the loop runs behind, sent together by `flushBacklogs`.
        var backlog: [OutgoingEvent] = []

        /// Nothing to keep: no listener, no stream playing, nothing waiting.
        var isIdle: Bool {
            self.listeners.isEmpty && self.start == nil && self.recent.isEmpty && self.backlog.isEmpty
        }

        mutating func remember(_ event: OutgoingEvent, burstNanoseconds: UInt64) {
            switch event.kind {
            case .start:
                self.start = event
                self.recent.removeAll()
                self.recentNanoseconds = 0
                for listener in self.listeners {
                    listener.hasSynced = false
                }
            case .chunk(_, _, let duration):
                guard burstNanoseconds > 0 else { return }
                self.recent.append(event)
                self.recentNanoseconds += duration
                while self.recentNanoseconds > burstNanoseconds, let oldest = self.recent.first {
                    self.recent.removeFirst()
                    self.recentNanoseconds -= oldest.durationNanoseconds
                }
            case .end:
                self.start = nil
                self.recent.removeAll()
                self.recentNanoseconds = 0
            }
        }
    }

    let eventLoop: any EventLoop
    let configuration: GatewayConfiguration
    let metrics: GatewayMetrics
    private var streams: [StreamID: StreamListeners] = [:]
    /// Streams whose backlog waits for ``flushBacklogs()``, in the order they fell behind.
    private var streamsWithBacklog: [StreamID] = []
    /// A ``flushBacklogs()`` is scheduled; until it runs, every event joins its stream's backlog.
    private var backlogFlushScheduled = false
    private let burstNanoseconds: UInt64
    private var sweep: RepeatedTask?

    init(eventLoop: any EventLoop, configuration: GatewayConfiguration, metrics: GatewayMetrics) {
        self.eventLoop = eventLoop
        self.configuration = configuration
        self.metrics = metrics
        self.burstNanoseconds = configuration.burst.wholeNanoseconds
    }

    /// Starts the once-a-second sweep that pings idle listeners and closes dead ones.
    func startSweeping() {
        let loopBound = NIOLoopBound(self, eventLoop: self.eventLoop)
        self.sweep = self.eventLoop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { _ in
            loopBound.value.sweepIdleListeners()
        }
    }

    // MARK: Listeners

    /// Adds a listener: it gets the stream's `start` and burst at once, then every event.
    func add(_ listener: ListenerHandler) {
        var entry = self.streams[listener.stream] ?? StreamListeners()
        let now = NIODeadline.now().uptimeNanoseconds
        if let start = entry.start, !listener.compat {
            listener.write(start.frame, flush: false, now: now)
        }
        // The burst starts on a chunk a decoder can start on.
        if let firstSync = entry.recent.firstIndex(where: \.isSync) {
            listener.hasSynced = true
            for index in firstSync..<entry.recent.count {
                if let frame = entry.recent[index].frame(for: listener) {
                    listener.write(frame, flush: false, now: now)
                }
            }
        }
        listener.flush()
        listener.hubIndex = entry.listeners.count
        entry.listeners.append(listener)
        self.streams[listener.stream] = entry
    }

    /// Removes a listener (its connection closed).
    func remove(_ listener: ListenerHandler) {
        guard listener.hubIndex >= 0, var entry = self.streams[listener.stream],
            listener.hubIndex < entry.listeners.count, entry.listeners[listener.hubIndex] === listener
        else { return }
        let index = listener.hubIndex
        entry.listeners.swapAt(index, entry.listeners.count - 1)
        entry.listeners[index].hubIndex = index
        entry.listeners.removeLast()
        listener.hubIndex = -1
        self.streams[listener.stream] = entry.isIdle ? nil : entry
    }

    /// Listeners per stream on this loop, for `/streams`.
    func listenerCounts() -> [StreamID: Int] {
        self.streams.mapValues(\.listeners.count)
    }

    // MARK: Fan-out

    /// Sends `event` to every listener of its stream on this loop (called at the event's deadline).
    ///
    /// When the loop runs behind (the event is more than ``mergeLateness`` late, or a backlog is
    /// already waiting), events are gathered per stream and sent together, one flush per listener,
    /// so an overloaded loop catches up instead of queueing fan-outs; past ``backlogLimit`` the
    /// oldest chunks are skipped. Both are counted.
    func deliver(_ event: OutgoingEvent) {
        let now = NIODeadline.now().uptimeNanoseconds
        let late = now &- min(now, event.deadline)
        // While a backlog waits, every event joins it: nothing overtakes what is already waiting.
        guard self.backlogFlushScheduled || late > Self.mergeLateness else {
            self.fanOut(CollectionOfOne(event), stream: event.stream, now: now)
            return
        }
        if self.streams[event.stream]?.backlog.isEmpty != false {
            self.streamsWithBacklog.append(event.stream)
        }
        self.streams[event.stream, default: StreamListeners()].backlog.append(event)
        if self.streams[event.stream]!.backlog.count > Self.backlogLimit {
            self.streams[event.stream]!.backlog.removeFirst()
            self.metrics.skippedChunks.increment()
        }
        guard !self.backlogFlushScheduled else { return }
        self.backlogFlushScheduled = true
        let loopBound = NIOLoopBound(self, eventLoop: self.eventLoop)
        // Runs after the events already due, so they all join it. Scheduled a moment ahead rather
        // than executed: NIO runs every task that is due before it polls the sockets again, so a
        // loop that stays behind would otherwise never accept, read or answer a request again.
        // Not yet due when NIO looks, it lets one poll happen first; and one flush for all the
        // loop's streams keeps it to one long task between polls, however many streams are behind.
        self.eventLoop.scheduleTask(deadline: .now() + Self.backlogFlushDelay) {
            loopBound.value.flushBacklogs()
        }
    }

    /// Late events gather for a stream once it is this far behind (nanoseconds).
    static let mergeLateness: UInt64 = 20_000_000
    /// How far ahead a backlog's fan-out is scheduled, so the loop polls its sockets first.
    static let backlogFlushDelay = TimeAmount.microseconds(200)
    /// At most this many events wait per stream; older chunks are skipped (about 7 s of audio).
    static let backlogLimit = 100

    /// Sends every stream's waiting events, each stream's together.
    private func flushBacklogs() {
        self.backlogFlushScheduled = false
        let streams = self.streamsWithBacklog
        self.streamsWithBacklog.removeAll(keepingCapacity: true)
        let now = NIODeadline.now().uptimeNanoseconds
        for stream in streams {
            guard let backlog = self.streams[stream]?.backlog, !backlog.isEmpty else { continue }
            self.streams[stream]!.backlog.removeAll()
            if backlog.count > 1 {
                self.metrics.mergedChunks.increment(by: Int64(backlog.count - 1))
            }
            self.fanOut(backlog, stream: stream, now: now)
        }
    }

    /// Writes `events`, in order, to every listener of `stream`, flushing each listener once.
    ///
    /// With `fanoutGroupSize` set, a stream's listeners are written in groups spread over the
    /// first half of the chunk's duration, each group at the same offset from the deadline every
    /// time: the send loops stay short, and each listener's lateness is steady instead of
    /// depending on how long one long loop happened to take.
    private func fanOut(_ events: some Collection<OutgoingEvent>, stream: StreamID, now: UInt64) {
        for event in events {
            self.remember(event)
        }
        // A snapshot: a listener closed during the loop leaves the hub's list, not this one.
        let listeners = self.streams[stream]?.listeners ?? []
        let groupSize = self.configuration.fanoutGroupSize
        if groupSize > 0 && listeners.count > groupSize, let first = events.first {
            let groups = (listeners.count + groupSize - 1) / groupSize
            let window = events.reduce(UInt64(0)) { $0 + $1.durationNanoseconds } / 2
            let spacing = window / UInt64(groups)
            let batch = Array(events)
            let loopBound = NIOLoopBound(self, eventLoop: self.eventLoop)
            let boundListeners = NIOLoopBound(listeners, eventLoop: self.eventLoop)
            for group in 1..<groups {
                let range = (group * groupSize)..<min(listeners.count, (group + 1) * groupSize)
                let deadline = first.deadline &+ UInt64(group) &* spacing
                self.eventLoop.scheduleTask(deadline: .uptimeNanoseconds(deadline)) {
                    let hub = loopBound.value
                    hub.write(batch, to: boundListeners.value[range], now: NIODeadline.now().uptimeNanoseconds)
                }
            }
            self.write(events, to: listeners[0..<groupSize], now: now)
        } else {
            self.write(events, to: listeners[...], now: now)
        }
        if let entry = self.streams[stream], entry.isIdle {
            self.streams[stream] = nil
        }
    }

    /// Writes `events` to each of `listeners` and flushes each listener once: every frame but a
    /// listener's last goes out with `write`, the last with `writeAndFlush`, so the common case
    /// (one chunk) is one trip down the pipeline per listener.
    private func write(
        _ events: some Collection<OutgoingEvent>,
        to listeners: ArraySlice<ListenerHandler>,
        now: UInt64
    ) {
        var sent = 0
        var bytes = 0
        for listener in listeners {
            var held: ByteBuffer?
            for event in events {
                guard let frame = event.frame(for: listener) else { continue }
                if case .chunk(let isSync, _, _) = event.kind, !listener.hasSynced {
                    // A new listener starts on a chunk it can decode; until then it gets nothing.
                    guard isSync else { continue }
                    listener.hasSynced = true
                }
                if let previous = held, listener.write(previous, flush: false, now: now) {
                    sent += 1
                    bytes += previous.readableBytes
                }
                held = frame
            }
            if let last = held, listener.write(last, flush: true, now: now) {
                sent += 1
                bytes += last.readableBytes
            }
        }
        if sent > 0 {
            self.metrics.messagesSent.increment(by: Int64(sent))
            self.metrics.bytesSent.increment(by: Int64(bytes))
        }
        let finished = NIODeadline.now().uptimeNanoseconds
        for event in events {
            if case .chunk = event.kind {
                self.metrics.lateness.recordNanoseconds(Int64(finished &- min(finished, event.deadline)))
            }
        }
    }

    /// Updates the stream's start and burst window for `event`.
    private func remember(_ event: OutgoingEvent) {
        self.streams[event.stream, default: StreamListeners()].remember(event, burstNanoseconds: self.burstNanoseconds)
    }

    /// Closes every listener with `code` (1001 "going away" at shutdown).
    func closeAll(code: UInt16, reason: String) {
        self.sweep?.cancel()
        for entry in self.streams.values {
            for listener in entry.listeners {
                listener.close(code: code, reason: reason)
            }
        }
    }

    private func sweepIdleListeners() {
        let now = NIODeadline.now().uptimeNanoseconds
        for entry in self.streams.values {
            for listener in entry.listeners {
                listener.checkIdle(now: now)
            }
        }
    }
}

@available(*, unavailable)
extension LoopHub: Sendable {}

extension OutgoingEvent {
    var isSync: Bool {
        if case .chunk(let isSync, _, _) = self.kind { return isSync }
        return false
    }

    var durationNanoseconds: UInt64 {
        if case .chunk(_, _, let duration) = self.kind { return duration }
        return 0
    }

    /// The frame this listener takes: seed clients get only chunks, in the prototype's shape.
    fileprivate func frame(for listener: ListenerHandler) -> ByteBuffer? {
        listener.compat ? self.seedFrame : self.frame
    }
}
