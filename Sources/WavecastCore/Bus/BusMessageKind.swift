/// The kind of a bus message (header byte 1).
public enum BusMessageKind: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// A stream starts: its format follows in the header; no payload.
    case start = 1
    /// A chunk of whole MP3 frames: the payload.
    case chunk = 2
    /// A stream ends; the header gives the number of chunks published and the total media time; no payload.
    case end = 3
    /// The encoder is alive; empty stream id and no payload.
    case heartbeat = 4

    /// "start", "chunk", "end" or "heartbeat".
    public var description: String {
        switch self {
        case .start: "start"
        case .chunk: "chunk"
        case .end: "end"
        case .heartbeat: "heartbeat"
        }
    }
}
