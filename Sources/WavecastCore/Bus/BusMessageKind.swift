/// The kind of a bus message (header byte 1).
public enum BusMessageKind: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// A stream starts: its format follows in the header; no payload.
    case start = 1
    /// A chunk of whole MP3 frames: the payload.
    case chunk = 2
    /// A stream ends; the header gives the number of chunks published and the total media time; no payload.
    case end = 3
    /// The encoder is alive; on the control topic `#`, no payload.
    case heartbeat = 4
    /// Which streams the encoder has live: a ``BusCatalogue`` in the payload, on the control topic `#`.
    case catalogue = 5
    /// Barge-in: drop the stream's audio not yet played out; the header gives the next chunk's number and the
    /// media time at the clear; no payload. Published in order with the stream's chunks.
    case clear = 6
    /// A playback mark: the payload is its name (UTF-8); the header gives the next chunk's number and the media
    /// time at the mark. Published in order with the stream's chunks, right after the audio before it.
    case mark = 7

    /// Whether the kind travels on the control topic `#`, which every gateway subscribes to,
    /// rather than on a stream's own topic.
    public var isControl: Bool {
        switch self {
        case .heartbeat, .catalogue: true
        case .start, .chunk, .end, .clear, .mark: false
        }
    }

    /// "start", "chunk", "end", "heartbeat", "catalogue", "clear" or "mark".
    public var description: String {
        switch self {
        case .start: "start"
        case .chunk: "chunk"
        case .end: "end"
        case .heartbeat: "heartbeat"
        case .catalogue: "catalogue"
        case .clear: "clear"
        case .mark: "mark"
        }
    }
}
