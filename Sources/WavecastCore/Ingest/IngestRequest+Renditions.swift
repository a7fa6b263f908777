extension IngestRequest {
    /// The `renditions` field of a `play` or `open` header, checked: an array of rendition names, without
    /// duplicates, that has `"mp3"` (every stream has its MP3: browsers and the player take it). `nil` when absent.
    ///
    /// - Parameters:
    ///   - header: The request's JSON header.
    /// - Throws: ``IngestError`` with the code `invalid_field` (not an array of strings, or empty),
    ///   `unknown_rendition`, `duplicate_rendition` or `mp3_rendition_required`.
    static func renditions(in header: JSONObject) throws(IngestError) -> [BusRendition]? {
        guard let value = header["renditions"] else { return nil }
        guard case .array(let names) = value, !names.isEmpty else {
            throw .invalidField(
                "renditions",
                "must be a non-empty array of rendition names like [\"mp3\",\"mulaw\"], not \(value.serialized)"
            )
        }
        var renditions: [BusRendition] = []
        for name in names {
            guard case .string(let text) = name else {
                throw .invalidField("renditions", "must hold rendition names (strings), not \(name.serialized)")
            }
            guard let rendition = BusRendition(name: text) else {
                throw .unknownRendition(text)
            }
            guard !renditions.contains(rendition) else {
                throw .duplicateRendition(text)
            }
            renditions.append(rendition)
        }
        guard renditions.contains(.mp3) else {
            throw .mp3RenditionRequired(renditions)
        }
        return renditions
    }
}
