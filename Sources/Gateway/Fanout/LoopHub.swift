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
    }

    let eventLoop: any EventLoop
    let configuration: GatewayConfiguration
    let metrics: GatewayMetrics
    private var streams: [StreamID: StreamListeners] = [:]
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
            listener.send(start.frame, now: now)
        }
        // The burst starts on a chunk a decoder can start on.
        if let firstSync = entry.recent.firstIndex(where: \.isSync) {
            listener.hasSynced = true
            for index in firstSync..<entry.recent.count {
                if let frame = entry.recent[index].frame(for: listener) {
                    listener.send(frame, now: now)
                }
            }
        }
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
        if entry.listeners.isEmpty && entry.start == nil && entry.recent.isEmpty {
            self.streams[listener.stream] = nil
        } else {
            self.streams[listener.stream] = entry
        }
    }

    /// Listeners per stream on this loop, for `/streams`.
    func listenerCounts() -> [StreamID: Int] {
        self.streams.mapValues(\.listeners.count)
    }

    // MARK: Fan-out

    /// Sends `event` to every listener of its stream on this loop (called at the event's deadline).
    func deliver(_ event: OutgoingEvent) {
        var entry = self.streams[event.stream] ?? StreamListeners()
        switch event.kind {
        case .start:
            entry.start = event
            entry.recent.removeAll()
            entry.recentNanoseconds = 0
            for listener in entry.listeners {
                listener.hasSynced = false
            }
        case .chunk(_, _, let duration):
            if self.burstNanoseconds > 0 {
                entry.recent.append(event)
                entry.recentNanoseconds += duration
                while entry.recentNanoseconds > self.burstNanoseconds, let oldest = entry.recent.first {
                    entry.recent.removeFirst()
                    entry.recentNanoseconds -= oldest.durationNanoseconds
                }
            }
        case .end:
            entry.start = nil
            entry.recent.removeAll()
            entry.recentNanoseconds = 0
        }

        let now = NIODeadline.now().uptimeNanoseconds
        var sent = 0
        var bytes = 0
        let isChunk: Bool
        if case .chunk = event.kind { isChunk = true } else { isChunk = false }
        for listener in entry.listeners {
            guard let frame = event.frame(for: listener) else { continue }
            if isChunk && !listener.hasSynced {
                // A new listener starts on a chunk it can decode; until then it gets nothing.
                guard event.isSync else { continue }
                listener.hasSynced = true
            }
            if listener.send(frame, now: now) {
                sent += 1
                bytes += frame.readableBytes
            }
        }
        if entry.listeners.isEmpty && entry.start == nil && entry.recent.isEmpty {
            self.streams[event.stream] = nil
        } else {
            self.streams[event.stream] = entry
        }
        if sent > 0 {
            self.metrics.messagesSent.increment(by: Int64(sent))
            self.metrics.bytesSent.increment(by: Int64(bytes))
        }
        if case .chunk = event.kind {
            let finished = NIODeadline.now().uptimeNanoseconds
            self.metrics.lateness.recordNanoseconds(Int64(finished &- min(finished, event.deadline)))
        }
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
    fileprivate var isSync: Bool {
        if case .chunk(let isSync, _, _) = self.kind { return isSync }
        return false
    }

    fileprivate var durationNanoseconds: UInt64 {
        if case .chunk(_, _, let duration) = self.kind { return duration }
        return 0
    }

    /// The frame this listener takes: seed clients get only chunks, in the prototype's shape.
    fileprivate func frame(for listener: ListenerHandler) -> ByteBuffer? {
        listener.compat ? self.seedFrame : self.frame
    }
}
