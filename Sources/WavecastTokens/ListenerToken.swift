/// What a listener's token grants: the streams it may hear and until when.
///
/// As JWT claims: `streams` (an array of stream ids; an entry ending in `*` is a prefix), `exp` and
/// optionally `nbf` (seconds since 1970, UTC), `sub` (who it was made for, for logs).
public struct ListenerToken: Sendable, Hashable {
    /// Stream ids, or prefixes ending in `*`, this token may listen to.
    public var streams: [String]
    /// When it stops being valid (`exp`), in seconds since 1970.
    public var expires: Int64
    /// When it starts being valid (`nbf`), in seconds since 1970; `nil`: at once.
    public var notBefore: Int64?
    /// Who it was made for (`sub`), if anyone was named.
    public var subject: String?

    /// A token for `streams`, valid until `expires`.
    public init(streams: [String], expires: Int64, notBefore: Int64? = nil, subject: String? = nil) {
        self.streams = streams
        self.expires = expires
        self.notBefore = notBefore
        self.subject = subject
    }

    /// Whether the token lets its holder listen to `stream`.
    public func grants(_ stream: String) -> Bool {
        self.streams.contains { pattern in
            pattern.hasSuffix("*") ? stream.hasPrefix(pattern.dropLast()) : stream == pattern
        }
    }
}
