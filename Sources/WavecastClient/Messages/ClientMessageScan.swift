/// What ``ClientMessageScanner`` found in one client message: only the fields a listener needs,
/// as plain values and byte ranges into the message, so scanning allocates nothing.
public struct ClientMessageScan: Sendable, Hashable {
    /// The message's `"event"`.
    public enum Event: Sendable, Hashable {
        /// `"start"`: a stream begins (its format follows).
        case start
        /// `"chunk"`: MP3 audio.
        case chunk
        /// `"end"`: the stream is over.
        case end
        /// Any other value, or no `"event"` at all.
        case other
    }

    /// The message's event.
    public var event: Event = .other
    /// `media.seq`, when present.
    public var sequence: UInt64?
    /// `media.timestamp` in microseconds (the message carries milliseconds, up to three decimals).
    public var timestampMicroseconds: UInt64?
    /// `media.duration` in microseconds.
    public var durationMicroseconds: UInt64?
    /// `media.is_sync`, when present.
    public var isSync: Bool?
    /// The byte range of the base64 text of `media.payload`, without its quotes.
    public var payload: Range<Int>?
    /// The byte range of the `"stream"` value (start and end events), without its quotes.
    public var stream: Range<Int>?
    /// The byte range of the `"reason"` value (end events), without its quotes.
    public var reason: Range<Int>?

    /// An empty scan: event `.other`, no fields.
    public init() {}
}
