extension StreamID {
    /// The key under which a stream's `rendition` is handled where renditions travel apart (a gateway): for MP3 the
    /// stream id itself, for µ-law one whose text is the rendition's bus topic, `~mulaw/<id>`.
    ///
    /// Such a key is not a valid stream id — ``init(_:)`` refuses `~` and `/` — so it never collides with one, and a
    /// gateway's subscriptions, pacing and fan-out, all keyed by stream id, carry a rendition as they carry a stream:
    /// subscribing to a key's text is subscribing to the rendition's topic.
    ///
    /// - Parameters:
    ///   - rendition: The rendition.
    /// - Returns: The key.
    public func key(for rendition: BusRendition) -> StreamID {
        guard rendition != .mp3 else { return self }
        return StreamID(renditionKey: rendition.topicPrefix + self.rawValue)
    }

    /// Which rendition this key stands for: MP3 for a plain stream id.
    public var rendition: BusRendition {
        BusRendition.split(topic: self.rawValue).rendition
    }

    /// The stream a rendition key belongs to (itself for a plain stream id).
    public var stream: StreamID {
        let (rendition, rest) = BusRendition.split(topic: self.rawValue)
        return rendition == .mp3 ? self : StreamID(renditionKey: String(rest))
    }

    /// A key made from text already checked: a valid stream id, or one behind a rendition's topic prefix.
    private init(renditionKey: String) {
        self.rawValue = renditionKey
    }
}
