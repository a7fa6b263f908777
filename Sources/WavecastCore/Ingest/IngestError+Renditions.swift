extension IngestError {
    /// A `renditions` entry names no rendition this encoder makes.
    static func unknownRendition(_ name: String) -> Self {
        Self(
            code: "unknown_rendition",
            message: "unknown rendition '\(name)' in 'renditions'; expected "
                + BusRendition.allCases.map { "\"\($0)\"" }.joined(separator: " or ")
        )
    }

    /// A rendition is named twice in `renditions`.
    static func duplicateRendition(_ name: String) -> Self {
        Self(code: "duplicate_rendition", message: "'renditions' names \"\(name)\" more than once; name each once")
    }

    /// `renditions` leaves out MP3, which every stream has.
    static func mp3RenditionRequired(_ renditions: [BusRendition]) -> Self {
        Self(
            code: "mp3_rendition_required",
            message: "'renditions' must include \"mp3\": every stream has its MP3 (browsers and the player take it); "
                + "add it beside \(renditions.map { "\"\($0)\"" }.joined(separator: ", "))"
        )
    }
}
