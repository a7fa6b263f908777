import DequeModule
import HeapModule
import WavecastCore

/// Paces every stream from absolute deadlines on the monotonic clock: the encoder's one clock.
///
/// Chunk k of a stream is due at `anchor + pts_k`, where `pts_k` is the sum of the samples before it,
/// so no rounding adds up however long a stream plays. The anchor is set when a stream's first chunk
/// goes out; after a live stream runs dry it is moved so the next chunk goes out at once and the
/// stream carries on at real time, with no catch-up burst. All streams share one deadline heap, so
/// thousands of streams cost one thread. This type does no I/O: it says what to publish and when.
struct StreamScheduler: Sendable {
    /// Something the scheduler asks to publish.
    enum Event: Sendable, Equatable {
        case start(StreamID)
        case chunk(StreamID, MP3Chunk, sequence: UInt64, timestamp: UInt64, lateness: Int64)
        case end(StreamID, sequence: UInt64, timestamp: UInt64, stopped: Bool)
        /// Barge-in: what was queued was dropped; `sequence` is the next chunk's, `timestamp` the media time.
        case clear(StreamID, sequence: UInt64, timestamp: UInt64)
        /// A playback mark: every chunk queued before it has been published; `sequence` is the next chunk's.
        case mark(StreamID, name: String, sequence: UInt64, timestamp: UInt64)
    }

    /// What `status` reports about a stream.
    struct StreamStatus: Sendable, Equatable {
        var id: StreamID
        var position: UInt64
        var queuedSamples: UInt64
        var nextSequence: UInt64
        var isLive: Bool
        var isLooping: Bool
        var hasStarted: Bool
    }

    private struct Entry: Comparable, Sendable {
        var deadline: MonotonicTime
        var stream: StreamID
        var ticket: UInt64

        static func < (lhs: Entry, rhs: Entry) -> Bool { lhs.deadline < rhs.deadline }
        static func == (lhs: Entry, rhs: Entry) -> Bool { lhs.deadline == rhs.deadline && lhs.ticket == rhs.ticket }
    }

    /// Output sample rate: converts sample counts to time.
    let sampleRate: Int
    private var streams: [StreamID: ScheduledStream] = [:]
    private var heap = Heap<Entry>()
    private var nextTicket: UInt64 = 0

    init(sampleRate: Int) {
        self.sampleRate = sampleRate
    }

    /// Number of streams playing, waiting for live PCM, or waiting for their audio to finish.
    var streamCount: Int { self.streams.count }

    /// Whether `stream` is known.
    func contains(_ stream: StreamID) -> Bool { self.streams[stream] != nil }

    /// The earliest deadline of any stream, `nil` when nothing is scheduled.
    var nextDeadline: MonotonicTime? {
        mutating get {
            self.dropStaleEntries()
            return self.heap.min?.deadline
        }
    }

    // MARK: Requests

    /// Queues `chunks` on `stream` behind what it already has, creating the stream if needed.
    mutating func enqueue(_ chunks: [MP3Chunk], loop: Bool, on stream: StreamID, now: MonotonicTime) {
        var state = self.streams[stream] ?? ScheduledStream(id: stream)
        guard !chunks.isEmpty else {
            self.streams[stream] = state
            self.reschedule(&state, now: now)
            return
        }
        state.queue.append(QueuedAudio(chunks: chunks, loop: loop))
        if state.isUnderrun, let deadline = state.deadline(sampleRate: self.sampleRate), deadline < now {
            // Resume at real time from now: media time `position` maps to `now`.
            let elapsed = MediaClock.nanoseconds(samples: state.position, sampleRate: self.sampleRate)
            state.anchor = MonotonicTime(nanoseconds: now.nanoseconds &- elapsed)
        }
        state.isUnderrun = false
        self.reschedule(&state, now: now)
    }

    /// Queues the mark `name` on `stream` behind its audio. Returns the mark to publish now when nothing is left to
    /// publish before it; `nil` when it waits in the queue (it goes out right after the chunk before it).
    ///
    /// A mark behind a looping file ends the loop after its current pass, as any audio queued behind it does.
    mutating func enqueueMark(_ name: String, on stream: StreamID, now: MonotonicTime) -> Event? {
        var state = self.streams[stream] ?? ScheduledStream(id: stream)
        if state.queue.isEmpty && state.hasStarted {
            self.streams[stream] = state
            return .mark(stream, name: name, sequence: state.nextSequence, timestamp: state.position)
        }
        state.queue.append(.mark(name))
        self.reschedule(&state, now: now)
        return nil
    }

    /// The names of the marks waiting in `stream`'s queue, oldest first.
    func queuedMarks(of stream: StreamID) -> [String] {
        self.streams[stream]?.queue.compactMap(\.markName) ?? []
    }

    /// Marks `stream` open for live PCM, creating it if needed.
    mutating func openLive(_ stream: StreamID) {
        var state = self.streams[stream] ?? ScheduledStream(id: stream)
        state.isLive = true
        self.streams[stream] = state
    }

    /// Marks `stream` no longer live: it ends once its queue has played.
    mutating func closeLive(_ stream: StreamID, now: MonotonicTime) {
        guard var state = self.streams[stream] else { return }
        state.isLive = false
        self.reschedule(&state, now: now)
    }

    /// Ends `stream` at once, dropping its queue; returns the `end` to publish, if it had started.
    mutating func stop(_ stream: StreamID) -> Event? {
        guard let state = self.streams.removeValue(forKey: stream) else { return nil }
        guard state.hasStarted else { return nil }
        return .end(stream, sequence: state.nextSequence, timestamp: state.position, stopped: true)
    }

    /// Drops what `stream` has queued and not yet published (barge-in), keeping the stream: a live stream stays
    /// open and its next audio starts at once (as after an underrun); a file stream, with nothing left, ends
    /// when its last published chunk has played. Returns the `clear` to publish, if the stream has started.
    mutating func clear(_ stream: StreamID, now: MonotonicTime) -> Event? {
        guard var state = self.streams[stream] else { return nil }
        state.queue.removeAll()
        self.reschedule(&state, now: now)
        guard state.hasStarted else { return nil }
        return .clear(stream, sequence: state.nextSequence, timestamp: state.position)
    }

    /// Ends every stream at once (shutdown); returns the `end`s to publish.
    mutating func stopAll() -> [Event] {
        let ids = Array(self.streams.keys)
        return ids.compactMap { self.stop($0) }
    }

    /// The samples `stream` has queued and not yet published (one pass of a loop); 0 for a stream not known.
    func queuedSamples(of stream: StreamID) -> UInt64 {
        self.streams[stream]?.queuedSamples ?? 0
    }

    /// What `status` says about `stream`, or about every stream when `nil`, sorted by id.
    func status(of stream: StreamID?) -> [StreamStatus] {
        let selected: [ScheduledStream]
        if let stream {
            selected = self.streams[stream].map { [$0] } ?? []
        } else {
            selected = self.streams.values.sorted { $0.id.description < $1.id.description }
        }
        return selected.map {
            StreamStatus(
                id: $0.id,
                position: $0.position,
                queuedSamples: $0.queuedSamples,
                nextSequence: $0.nextSequence,
                isLive: $0.isLive,
                isLooping: $0.isLooping,
                hasStarted: $0.hasStarted
            )
        }
    }

    // MARK: Clock

    /// Publishes, through `emit`, everything due at or before `now`, in deadline order.
    mutating func publishDue(now: MonotonicTime, _ emit: (Event) throws -> Void) rethrows {
        while let entry = self.heap.min, entry.deadline <= now {
            self.heap.removeMin()
            guard var state = self.streams[entry.stream], state.ticket == entry.ticket else { continue }
            if state.queue.first?.markName != nil {
                // Marks queued before any audio (or behind audio not yet encoded when they came).
                if !state.hasStarted {
                    state.hasStarted = true
                    try emit(.start(state.id))
                }
                try Self.publishLeadingMarks(of: &state, emit)
                if state.queue.isEmpty && state.isLive {
                    self.reschedule(&state, now: now)
                    continue
                }
            }
            if state.queue.isEmpty {
                // Due with nothing queued: the end deadline of a finished stream.
                self.streams[entry.stream] = nil
                if state.hasStarted {
                    try emit(.end(state.id, sequence: state.nextSequence, timestamp: state.position, stopped: false))
                }
                continue
            }
            if !state.hasStarted {
                state.hasStarted = true
                try emit(.start(state.id))
            }
            let chunk = state.queue[0].chunks[state.queue[0].next]
            let lateness = now.nanoseconds(since: entry.deadline)
            try emit(
                .chunk(state.id, chunk, sequence: state.nextSequence, timestamp: state.position, lateness: lateness)
            )
            state.nextSequence += 1
            state.position += UInt64(chunk.sampleCount)
            state.queue[0].next += 1
            if state.queue[0].next == state.queue[0].chunks.count {
                if state.queue[0].loop && state.queue.count == 1 {
                    state.queue[0].next = 0
                } else {
                    state.queue.removeFirst()
                }
            }
            // A mark goes out with the chunk before it, not a chunk's duration later.
            try Self.publishLeadingMarks(of: &state, emit)
            self.reschedule(&state, now: now)
        }
    }

    /// Publishes the marks at the head of `state`'s queue.
    private static func publishLeadingMarks(of state: inout ScheduledStream, _ emit: (Event) throws -> Void) rethrows {
        while let name = state.queue.first?.markName {
            state.queue.removeFirst()
            try emit(.mark(state.id, name: name, sequence: state.nextSequence, timestamp: state.position))
        }
    }

    /// Stores `state` and gives it the heap entry its situation calls for.
    private mutating func reschedule(_ state: inout ScheduledStream, now: MonotonicTime) {
        self.nextTicket += 1
        state.ticket = self.nextTicket
        if state.queue.isEmpty {
            if state.isLive {
                // Waiting for PCM: nothing to schedule until it arrives.
                state.isUnderrun = state.anchor != nil
                self.streams[state.id] = state
                return
            }
            if !state.hasStarted {
                // Never played anything (opened and closed with no PCM): forget it quietly.
                self.streams[state.id] = nil
                return
            }
        }
        if state.anchor == nil {
            state.anchor = now
        }
        self.streams[state.id] = state
        self.heap.insert(
            Entry(deadline: state.deadline(sampleRate: self.sampleRate)!, stream: state.id, ticket: state.ticket)
        )
    }

    private mutating func dropStaleEntries() {
        while let entry = self.heap.min, self.streams[entry.stream]?.ticket != entry.ticket {
            self.heap.removeMin()
        }
    }
}
