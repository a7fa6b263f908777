extension BusRendition {
    /// What a rendition's topic puts before the stream id: nothing for MP3 (the topic is the stream id, as it always
    /// was), `~mulaw/` for µ-law. A stream id never has `~` or `/`, so no subscription to a stream id (a ZeroMQ
    /// prefix match) ever matches a µ-law topic: a gateway that serves only MP3 never receives µ-law bytes.
    public var topicPrefix: String {
        switch self {
        case .mp3: ""
        case .mulaw: "~mulaw/"
        }
    }

    /// The rendition a feeder names in `renditions` (`"mp3"`, `"mulaw"`), if any.
    ///
    /// - Parameters:
    ///   - name: The name as written in a request.
    public init?(name: String) {
        guard let rendition = Self.allCases.first(where: { $0.description == name }) else { return nil }
        self = rendition
    }

    /// Splits a bus topic into its rendition and the rest (the stream id for a stream's messages).
    ///
    /// - Parameters:
    ///   - topic: A message's first frame, as text.
    /// - Returns: The rendition whose prefix the topic has (MP3 when none), and the topic without it.
    public static func split(topic: String) -> (rendition: BusRendition, rest: Substring) {
        let prefix = BusRendition.mulaw.topicPrefix
        if topic.utf8.first == UInt8(ascii: "~"), topic.hasPrefix(prefix) {
            return (.mulaw, topic.dropFirst(prefix.count))
        }
        return (.mp3, Substring(topic))
    }
}
