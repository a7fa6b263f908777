extension BusMessage {
    /// The µ-law chunk published right after the MP3 chunk `mp3`: the same stream, sequence, timestamp, duration,
    /// frame count, format fields and epoch (so a receiver paces it exactly like the MP3 chunk), on the µ-law topic,
    /// flagged sync (every µ-law byte decodes on its own), carrying `bytes` of 8 kHz µ-law.
    ///
    /// - Parameters:
    ///   - mp3: The MP3 chunk message it goes with.
    ///   - bytes: The µ-law bytes covering the same stretch of the stream; at least one.
    /// - Returns: The µ-law chunk message.
    public static func muLawChunk(accompanying mp3: BusMessage, bytes: [UInt8]) -> BusMessage {
        var header = mp3.header
        header.rendition = .mulaw
        header.isSync = true
        return BusMessage(streamID: mp3.streamID, header: header, payload: bytes)
    }

    /// This stream message (a start, clear, end or mark) as published on `rendition`'s topic: the same fields, with
    /// the header's rendition set, so a receiver subscribed to that rendition alone sees the stream's life too.
    ///
    /// - Parameters:
    ///   - rendition: The rendition whose topic it travels on.
    /// - Returns: The copy.
    public func onRendition(_ rendition: BusRendition) -> BusMessage {
        var copy = self
        copy.header.rendition = rendition
        return copy
    }
}
