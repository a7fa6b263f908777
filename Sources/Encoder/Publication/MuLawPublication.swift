import WavecastCore

/// What the encoder publishes for its streams' µ-law renditions, beside their MP3: pure bookkeeping, no sockets.
///
/// A stream's µ-law travels on its own topic, `~mulaw/<stream>`, so gateways that serve only MP3 never receive it.
/// A gateway with a phone caller of the stream subscribes to that topic alone, so the rendition's topic carries the
/// stream's life too: the rendition's `start` (right before its first µ-law chunk), each µ-law chunk right after the
/// MP3 chunk it goes with (same sequence, timestamp, duration and epoch), and the stream's `clear`, marks and `end`
/// again. A new subscriber to the topic is replayed the rendition's own recent window.
struct MuLawPublication: Sendable {
    /// Streams whose µ-law rendition has started in their current incarnation.
    private var started: Set<StreamID> = []
    /// Streams whose start, in the batch being published, is followed by a chunk with µ-law (for the catalogue).
    private var startingWithMuLaw: Set<StreamID> = []
    private var windows: ReplayWindows

    /// Makes the bookkeeping with replay windows of `replayWindow` at the MP3's `sampleRate` (the µ-law chunks carry
    /// the MP3 chunks' timestamps).
    init(replayWindow: Duration, sampleRate: Int) {
        self.windows = ReplayWindows(duration: replayWindow, sampleRate: sampleRate)
    }

    /// Whether `stream` publishes a µ-law rendition now.
    func hasMuLaw(_ stream: StreamID) -> Bool {
        self.started.contains(stream) || self.startingWithMuLaw.contains(stream)
    }

    /// Notes, before a batch of due events is published, which starts in it are followed by a chunk with µ-law, so
    /// the catalogue entry published with each start says so from the first.
    mutating func prepare(_ events: [StreamScheduler.Event]) {
        self.startingWithMuLaw.removeAll(keepingCapacity: true)
        var previous: StreamScheduler.Event?
        for event in events {
            if case .chunk(let stream, let chunk, _, _, _) = event, chunk.muLaw != nil,
                case .start(let started)? = previous, started == stream
            {
                self.startingWithMuLaw.insert(stream)
            }
            previous = event
        }
    }

    /// The µ-law messages to publish right after the MP3 chunk message `mp3` of a chunk carrying µ-law `bytes`: the
    /// rendition's start (`start`, moved to the µ-law topic) the first time in the stream's incarnation, then the
    /// µ-law chunk.
    mutating func published(_ mp3: BusMessage, muLaw bytes: [UInt8], start: BusMessage) -> [BusMessage] {
        guard let stream = try? StreamID(mp3.streamID), !bytes.isEmpty else { return [] }
        var messages: [BusMessage] = []
        if self.started.insert(stream).inserted {
            self.windows.started(stream)
            messages.append(start.onRendition(.mulaw))
        }
        let chunk = BusMessage.muLawChunk(accompanying: mp3, bytes: bytes)
        self.windows.record(chunk, on: stream)
        messages.append(chunk)
        return messages
    }

    /// The copy of a stream message (clear, mark) for the µ-law topic, when the stream has the rendition; a clear
    /// also empties the rendition's replay window.
    mutating func copy(of message: BusMessage, clearing: Bool = false) -> BusMessage? {
        guard let stream = try? StreamID(message.streamID), self.started.contains(stream) else { return nil }
        if clearing {
            self.windows.ended(stream)
        }
        return message.onRendition(.mulaw)
    }

    /// The copy of an `end` for the µ-law topic, when the stream had the rendition; the rendition ends with it.
    mutating func ended(_ end: BusMessage) -> BusMessage? {
        guard let stream = try? StreamID(end.streamID), self.started.remove(stream) != nil else { return nil }
        self.windows.ended(stream)
        return end.onRendition(.mulaw)
    }

    /// What a new subscriber to `topic` is replayed, if the topic is a µ-law rendition's; `nil` for other topics.
    func replay(ofTopic topic: Substring) -> [BusMessage]? {
        let (rendition, rest) = BusRendition.split(topic: String(topic))
        guard rendition == .mulaw, let stream = try? StreamID(String(rest)) else { return nil }
        return self.windows.replay(of: stream)
    }
}
