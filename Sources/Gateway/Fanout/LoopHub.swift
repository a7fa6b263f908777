import DequeModule
import NIOCore
import Prometheus
import WavecastCore
import ZeroMQ

/// One event loop's share of the fan-out: the listeners on this loop, per stream, and each
/// stream's recent chunks for the burst a new listener gets.
///
/// A loop holds only the streams it has listeners of, and is sent only their events: when it gets
/// its first listener of a stream it tells the bus thread (``InterestInbox``), which sends it the
/// stream's burst and from then on its events, once each (one hop per loop per chunk); the loop
/// then writes the same pre-built buffer to each of its listeners and flushes each once. When its
/// last listener of the stream leaves, it forgets the stream and says so. Confined to its loop.
final class LoopHub {
    /// A stream's listeners on this loop and what the loop keeps for them. A class: the fan-out looks it
    /// up once per event and works on it in place, where a value in the dictionary would be copied out and
    /// back (its arrays and windows retained and released) at every change.
    private final class StreamListeners {
        var listeners: [ListenerHandler] = []
        /// For each listener, at the same index, what a fan-out needs to send it a frame itself.
        var directSends: [DirectSend] = []
        /// The stream's start and recent chunks, for listeners who join later.
        var window: BurstWindow
        /// The serial of the latest event taken: an event not newer is one this loop already had.
        var lastSerial: UInt64 = 0
        /// Events gathered while the loop runs behind, sent together by `flushBacklogs`.
        var backlog: [OutgoingEvent] = []
        /// How many of the listeners take `?compat=seed` frames.
        var compatCount = 0

        init(burstNanoseconds: UInt64, keepNanoseconds: UInt64) {
            self.window = BurstWindow(limitNanoseconds: burstNanoseconds, keepNanoseconds: keepNanoseconds)
        }

        /// Adds `listener` at the end of both lists.
        func append(_ listener: ListenerHandler) {
            listener.hubIndex = self.listeners.count
            self.listeners.append(listener)
            self.directSends.append(DirectSend(listener))
        }

        /// Where `listener` is in both lists, if it is here.
        func index(of listener: ListenerHandler) -> Int? {
            let index = listener.hubIndex
            guard index >= 0, index < self.listeners.count, self.listeners[index] === listener else { return nil }
            return index
        }

        /// Removes `listener` if it is here (the last listener takes its place); false if not.
        func remove(_ listener: ListenerHandler) -> Bool {
            guard let index = self.index(of: listener) else { return false }
            self.listeners.swapAt(index, self.listeners.count - 1)
            self.directSends.swapAt(index, self.directSends.count - 1)
            self.listeners[index].hubIndex = index
            self.listeners.removeLast()
            self.directSends.removeLast()
            listener.hubIndex = -1
            return true
        }

        /// Copies `listener`'s current ``ListenerHandler/directDescriptor`` into its entry, if it is here.
        func refreshDirectSend(of listener: ListenerHandler) {
            guard let index = self.index(of: listener) else { return }
            self.directSends[index] = DirectSend(listener)
        }

        /// Takes `event` unless this loop already had it (or a later one).
        func take(_ event: OutgoingEvent) -> Bool {
            guard event.serial > self.lastSerial else { return false }
            self.lastSerial = event.serial
            return true
        }
    }

    let eventLoop: any EventLoop
    let configuration: GatewayConfiguration
    let metrics: GatewayMetrics
    /// This loop's index in its ``FanoutGroup``.
    let loopIndex: Int
    /// Where first and last listeners are reported; `nil` when a test hands events to every loop itself.
    private let interest: InterestInbox?
    /// Where the bus thread leaves this loop's events.
    let inbox: LoopInbox
    /// The events waiting for their deadlines, for the loop's one timer.
    private var schedule = LoopSchedule()
    /// Events moved out of the inbox, and out of the schedule when due (kept to reuse its storage).
    private var scratch: [OutgoingEvent] = []
    private var streams: [StreamID: StreamListeners] = [:]
    /// Streams whose backlog waits for ``flushBacklogs()``, in the order they fell behind.
    private var streamsWithBacklog: [StreamID] = []
    /// A ``flushBacklogs()`` is scheduled; until it runs, every event joins its stream's backlog.
    private var backlogFlushScheduled = false
    private let burstNanoseconds: UInt64
    private let resumeNanoseconds: UInt64
    private var sweep: RepeatedTask?
    /// The loop's Twilio calls: the events of µ-law keys go to them.
    let twilio: TwilioLoopHub

    init(
        eventLoop: any EventLoop,
        loopIndex: Int,
        interest: InterestInbox?,
        inbox: LoopInbox = LoopInbox(),
        configuration: GatewayConfiguration,
        metrics: GatewayMetrics
    ) {
        self.eventLoop = eventLoop
        self.loopIndex = loopIndex
        self.interest = interest
        self.inbox = inbox
        self.configuration = configuration
        self.metrics = metrics
        self.burstNanoseconds = configuration.burst.wholeNanoseconds
        self.resumeNanoseconds = configuration.resumeWindow.wholeNanoseconds
        self.twilio = TwilioLoopHub(
            loopIndex: loopIndex,
            interest: interest,
            burstNanoseconds: configuration.burst.wholeNanoseconds
        )
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
    ///
    /// The first listener of a stream on this loop gets them when the bus thread's burst arrives
    /// (``receiveBurst(_:of:)``); later ones from what the loop keeps.
    func add(_ listener: ListenerHandler) {
        guard let entry = self.streams[listener.stream] else {
            let entry = StreamListeners(
                burstNanoseconds: self.burstNanoseconds,
                keepNanoseconds: self.resumeNanoseconds
            )
            entry.append(listener)
            self.streams[listener.stream] = entry
            // Seed frames first, so the burst that answers `joined` has them.
            self.countCompat(listener, in: entry, by: 1)
            self.interest?.post(.joined(listener.stream, loop: self.loopIndex, resuming: listener.resume != nil))
            return
        }
        self.sendBurst(to: listener, window: entry.window, now: NIODeadline.now().uptimeNanoseconds)
        listener.flush()
        entry.append(listener)
        self.countCompat(listener, in: entry, by: 1)
    }

    /// Counts a `?compat=seed` listener in or out, telling the bus thread when the loop's first
    /// arrives or its last leaves: seed frames are built only for streams someone takes them for.
    private func countCompat(_ listener: ListenerHandler, in entry: StreamListeners, by delta: Int) {
        guard listener.compat else { return }
        entry.compatCount += delta
        switch (delta, entry.compatCount) {
        case (1, 1): self.interest?.post(.compatJoined(listener.stream, loop: self.loopIndex))
        case (-1, 0): self.interest?.post(.compatLeft(listener.stream, loop: self.loopIndex))
        default: break
        }
    }

    /// Writes the stream's start and burst to `listener` without flushing; for a client resuming, what it missed.
    private func sendBurst(to listener: ListenerHandler, window: BurstWindow, now: UInt64) {
        if let start = window.start, !listener.compat {
            listener.write(start.frame, flush: false, now: now)
        }
        // The burst starts on a chunk a decoder can start on.
        var burst = window.burst
        if let point = listener.resume {
            listener.resume = nil
            let outcome = window.resume(from: point)
            (outcome.recovered ? self.metrics.resumesRecovered : self.metrics.resumesMissed).increment()
            if !listener.compat {
                // Once per connection, and only for clients that ask: built here, not shared.
                let json = ClientMessage.resumed(
                    stream: listener.stream,
                    recovered: outcome.recovered,
                    missing: outcome.missing,
                    reason: outcome.reason
                )
                listener.write(OutgoingEvent.frame(json, allocator: ByteBufferAllocator()), flush: false, now: now)
            }
            burst = outcome.chunks
            if outcome.recovered {
                // It decodes on from where it was: no sync chunk needed.
                listener.hasSynced = true
            }
        }
        if !burst.isEmpty {
            listener.hasSynced = true
        }
        for event in burst {
            if let frame = event.frame(for: listener) {
                listener.write(frame, flush: false, now: now)
            }
        }
    }

    /// Takes the bus thread's burst for `stream`, sent when this loop reported its first listener
    /// of it: the stream's start and recent chunks. Listeners still waiting get them at once.
    func receiveBurst(_ events: [OutgoingEvent], of stream: StreamID) {
        guard stream.rendition == .mp3 else { return self.twilio.receiveBurst(events, of: stream) }
        guard let entry = self.streams[stream] else { return }
        for event in events where entry.take(event) {
            Self.remember(event, in: entry)
        }
        let now = NIODeadline.now().uptimeNanoseconds
        for listener in entry.listeners where !listener.hasSynced {
            self.sendBurst(to: listener, window: entry.window, now: now)
            listener.flush()
        }
    }

    /// Removes a listener (its connection closed); the loop forgets a stream with no listener left.
    func remove(_ listener: ListenerHandler) {
        guard let entry = self.streams[listener.stream], entry.remove(listener) else { return }
        self.countCompat(listener, in: entry, by: -1)
        if entry.listeners.isEmpty {
            self.streams[listener.stream] = nil
            self.interest?.post(.left(listener.stream, loop: self.loopIndex))
        }
    }

    /// Refreshes the fan-out's copy of `listener`'s ``ListenerHandler/directDescriptor``.
    func directDescriptorChanged(for listener: ListenerHandler) {
        self.streams[listener.stream]?.refreshDirectSend(of: listener)
    }

    /// Listeners per stream on this loop that the fan-out sends to itself right now (for tests).
    func directSendCounts() -> [StreamID: Int] {
        self.streams.mapValues { $0.directSends.count { $0.descriptor >= 0 } }
    }

    /// Listeners per stream on this loop, for `/streams`.
    func listenerCounts() -> [StreamID: Int] {
        self.streams.mapValues(\.listeners.count)
    }

    // MARK: The timer

    /// The loop's timer task for `deadline` runs: takes what the bus thread left, delivers every
    /// event due within ``timerSlack``, in deadline order, and arms the timer for the next one.
    /// One task for every stream due together, not one per stream per chunk.
    func timerFired(deadline: UInt64) {
        self.inbox.take(firing: deadline, into: &self.scratch)
        for event in self.scratch {
            self.schedule.add(event)
        }
        self.scratch.removeAll(keepingCapacity: true)
        let now = NIODeadline.now().uptimeNanoseconds
        self.schedule.takeDue(now: now &+ Self.timerSlack) { self.scratch.append($0) }
        for event in self.scratch {
            self.deliver(event)
        }
        self.scratch.removeAll(keepingCapacity: true)
        if let next = self.schedule.nextDeadline, self.inbox.arm(at: next) {
            Self.scheduleTimer(on: self.eventLoop, hub: NIOLoopBound(self, eventLoop: self.eventLoop), at: next)
        }
    }

    /// Events due this soon after a timer run go out in it, early by at most this much (nanoseconds):
    /// streams in every phase would otherwise wake the loop (and re-arm NIO's timer) once per
    /// distinct deadline, thousands of times a second; this bounds it to one wake-up per 2 ms.
    /// Nothing goes out late for it, and 2 ms is far inside the jitter delay chunks wait anyway.
    static let timerSlack: UInt64 = 2_000_000

    /// Schedules `hub`'s timer task at `deadline`; from any thread.
    static func scheduleTimer(on loop: any EventLoop, hub: NIOLoopBound<LoopHub>, at deadline: UInt64) {
        loop.scheduleTask(deadline: .uptimeNanoseconds(deadline)) {
            hub.value.timerFired(deadline: deadline)
        }
    }

    // MARK: Fan-out

    /// Sends `event` to every listener of its stream on this loop (called at the event's deadline, by the timer).
    ///
    /// When the loop runs behind (the event is more than ``mergeLateness`` late, or a backlog is
    /// already waiting), events are gathered per stream and sent together, one flush per listener,
    /// so an overloaded loop catches up instead of queueing fan-outs; past ``backlogLimit`` the
    /// oldest chunks are skipped. Both are counted.
    func deliver(_ event: OutgoingEvent) {
        // A rendition's events (µ-law) go to the loop's Twilio calls.
        guard event.stream.rendition == .mp3 else { return self.twilio.deliver(event) }
        // A stream with no listener here (its last left while the event was on its way), an event this
        // loop already had in a burst, or a chunk from before a clear (its serial is older).
        guard let entry = self.streams[event.stream] else { return }
        guard entry.take(event) else {
            if case .mark(let name, let epoch) = event.kind {
                // Bursts hold no marks, so only a clear overtakes one: its listeners will never have it.
                self.interest?.post(.markCut(event.stream, epoch: epoch, name: name))
            }
            return
        }
        let now = NIODeadline.now().uptimeNanoseconds
        if case .clear = event.kind {
            // Barge-in: what waits behind the loop goes too, and the clear goes out now, whatever else is late.
            // Marks among it, and those sent but not yet echoed, were cut: their audio will not be played.
            self.reportCut(entry.backlog)
            for listener in entry.listeners {
                for mark in listener.takeAwaitedMarks() {
                    self.interest?.post(.markCut(event.stream, epoch: mark.epoch, name: mark.name))
                }
            }
            entry.backlog.removeAll()
            self.fanOut(CollectionOfOne(event), to: entry, stream: event.stream, now: now)
            return
        }
        let late = now &- min(now, event.deadline)
        // While a backlog waits, every event joins it: nothing overtakes what is already waiting.
        guard self.backlogFlushScheduled || late > Self.mergeLateness else {
            self.fanOut(CollectionOfOne(event), to: entry, stream: event.stream, now: now)
            return
        }
        if entry.backlog.isEmpty {
            self.streamsWithBacklog.append(event.stream)
        }
        entry.backlog.append(event)
        if entry.backlog.count > Self.backlogLimit {
            let skipped = entry.backlog.removeFirst()
            self.reportCut(CollectionOfOne(skipped))
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
            guard let entry = self.streams[stream], !entry.backlog.isEmpty else { continue }
            let backlog = entry.backlog
            entry.backlog.removeAll()
            if backlog.count > 1 {
                self.metrics.mergedChunks.increment(by: Int64(backlog.count - 1))
            }
            self.fanOut(backlog, to: entry, stream: stream, now: now)
        }
    }

    /// Writes `events`, in order, to every listener of `stream`, flushing each listener once.
    ///
    /// With `fanoutGroupSize` set, a stream's listeners are written in groups spread over the
    /// first half of the chunk's duration, each group at the same offset from the deadline every
    /// time: the send loops stay short, and each listener's lateness is steady instead of
    /// depending on how long one long loop happened to take.
    private func fanOut(
        _ events: some Collection<OutgoingEvent>,
        to entry: StreamListeners,
        stream: StreamID,
        now: UInt64
    ) {
        for event in events {
            Self.remember(event, in: entry)
        }
        // A snapshot: a listener closed during the loop leaves the hub's list, not this one; one
        // whose state changes during the loop changes only when the loop is at it.
        let listeners = entry.listeners
        let directSends = entry.directSends
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
                    // By now the snapshot's direct sends may be stale: none, so every frame goes
                    // through its listener, which checks its state now.
                    hub.write(
                        batch,
                        to: boundListeners.value,
                        directSends: [],
                        range: range,
                        now: NIODeadline.now().uptimeNanoseconds
                    )
                }
            }
            self.write(events, to: listeners, directSends: directSends, range: 0..<groupSize, now: now)
        } else {
            self.write(events, to: listeners, directSends: directSends, range: listeners.indices, now: now)
        }
        for event in events {
            if case .mark(let name, let epoch) = event.kind {
                self.markSent(name, epoch: epoch, of: stream, to: listeners)
            }
        }
    }

    /// Tells the bus thread of the marks among `events`, which this loop drops unsent.
    private func reportCut(_ events: some Collection<OutgoingEvent>) {
        for event in events {
            if case .mark(let name, let epoch) = event.kind {
                self.interest?.post(.markCut(event.stream, epoch: epoch, name: name))
            }
        }
    }

    /// Each listener `name` went to now waits for its echo; the bus thread hears how many it went to. Listeners
    /// with no audio yet were not sent it (see ``write(_:to:directSends:range:now:)``).
    private func markSent(_ name: String, epoch: UInt32, of stream: StreamID, to listeners: [ListenerHandler]) {
        var count = 0
        for listener in listeners
        where !listener.compat && listener.hasSynced && listener.awaitEcho(of: name, epoch: epoch) {
            count += 1
        }
        self.interest?.post(.markSent(stream, epoch: epoch, name: name, listeners: count))
    }

    /// A listener of `stream` echoed the mark: it has played the audio before it.
    func markEchoed(_ name: String, epoch: UInt32, of stream: StreamID) {
        self.interest?.post(.markEchoed(stream, epoch: epoch, name: name))
    }

    /// Writes `events` to `listeners[range]` and flushes each listener once.
    ///
    /// The common case, one event for a listener whose ``DirectSend`` has a socket, is one `send`
    /// from here, touching nothing but the contiguous `directSends`: the listener object is not
    /// called unless the kernel does not take the whole frame. Otherwise (or past the end of
    /// `directSends`) every frame but a listener's last goes out with `write`, the last with
    /// `writeAndFlush`.
    private func write(
        _ events: some Collection<OutgoingEvent>,
        to listeners: [ListenerHandler],
        directSends: [DirectSend],
        range: Range<Int>,
        now: UInt64
    ) {
        var sent = 0
        var bytes = 0
        let single = events.count == 1 ? events.first : nil
        for index in range {
            if let single, index < directSends.count, directSends[index].descriptor >= 0 {
                let direct = directSends[index]
                assert(listeners[index].directDescriptor == direct.descriptor, "a stale DirectSend")
                guard let frame = direct.compat ? single.seedFrame : single.frame else { continue }
                let sentBytes = BorrowedSocket.sendWithoutBlocking(frame, to: direct.descriptor)
                if sentBytes < frame.readableBytes {
                    // The kernel took part of it or none: the rest waits in NIO, and so does what follows.
                    listeners[index].writeRemainder(of: frame, afterSending: sentBytes)
                }
                sent += 1
                bytes += frame.readableBytes
                continue
            }
            let listener = listeners[index]
            if listener.resume != nil, events.contains(where: { $0.durationNanoseconds > 0 }) {
                // A resuming client that joined before this loop had any of the stream's audio: answered now, from
                // the window (which already holds these events).
                if let window = self.streams[listener.stream]?.window {
                    self.sendBurst(to: listener, window: window, now: now)
                }
                listener.flush()
                continue
            }
            var held: ByteBuffer?
            for event in events {
                guard let frame = event.frame(for: listener) else { continue }
                if case .mark = event.kind, !listener.hasSynced {
                    // It has none of the audio before the mark: nothing to play up to, nothing to echo.
                    continue
                }
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

    /// Updates the stream's start and burst window for `event`; a new `start` makes every listener
    /// wait for a sync chunk again.
    private static func remember(_ event: OutgoingEvent, in entry: StreamListeners) {
        entry.window.remember(event)
        if case .start = event.kind {
            // A snapshot: each change reaches back into the entry (its directSends).
            for listener in entry.listeners {
                listener.hasSynced = false
            }
        }
    }

    /// Listeners and Twilio calls on this loop: what a drain has to close.
    var clientCount: Int {
        self.streams.values.reduce(0) { $0 + $1.listeners.count } + self.twilio.calls.count
    }

    /// Closes this loop's clients with `code` at their times in `schedule` (lame-duck drain).
    ///
    /// - Parameters:
    ///   - schedule: The whole gateway's drain; this loop's clients are its indices from `firstIndex`.
    ///   - firstIndex: Where this loop's share starts in the drain's order.
    ///   - code: The close code (1001, going away).
    ///   - reason: The close reason, with the reconnect hint.
    func drain(_ schedule: DrainSchedule, firstIndex: Int, code: UInt16, reason: String) {
        var closes: [() -> Void] = []
        for entry in self.streams.values {
            for listener in entry.listeners {
                closes.append { listener.close(code: code, reason: reason) }
            }
        }
        for call in self.twilio.calls {
            closes.append { call.close(code: code, reason: reason) }
        }
        let bound = NIOLoopBound(closes, eventLoop: self.eventLoop)
        // One task per millisecond tick, not one per client: 20,000 listeners are a few thousand tasks.
        for batch in schedule.batches(of: firstIndex..<(firstIndex + closes.count), resolution: .milliseconds(1)) {
            let local = (batch.clients.lowerBound - firstIndex)..<(batch.clients.upperBound - firstIndex)
            self.eventLoop.scheduleTask(in: .nanoseconds(Int64(clamping: batch.offset.wholeNanoseconds))) {
                for index in local { bound.value[index]() }
            }
        }
    }

    /// Closes every listener with `code` (1001 "going away" at shutdown).
    func closeAll(code: UInt16, reason: String) {
        self.sweep?.cancel()
        self.twilio.closeAll(code: code, reason: reason)
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

extension LoopHub {
    /// What a fan-out needs to send one listener a frame itself: kept beside the listener list, so
    /// the send loop reads contiguous memory instead of one object (or two) per listener.
    struct DirectSend {
        /// The listener's ``ListenerHandler/directDescriptor``: -1 sends through the listener.
        var descriptor: CInt
        /// It takes the `?compat=seed` frames.
        var compat: Bool

        init(_ listener: ListenerHandler) {
            self.descriptor = listener.directDescriptor
            self.compat = listener.compat
        }

    }
}

extension OutgoingEvent {
    var isSync: Bool {
        if case .chunk(let isSync, _, _) = self.kind { return isSync }
        return false
    }

    var durationNanoseconds: UInt64 {
        if case .chunk(_, _, let duration) = self.kind { return duration }
        return 0
    }

    /// A chunk's sequence number; 0 for other kinds.
    var sequence: UInt64 {
        if case .chunk(_, let sequence, _) = self.kind { return sequence }
        return 0
    }

    /// The frame this listener takes: seed clients get only chunks, in the prototype's shape.
    func frame(for listener: ListenerHandler) -> ByteBuffer? {
        listener.compat ? self.seedFrame : self.frame
    }
}
