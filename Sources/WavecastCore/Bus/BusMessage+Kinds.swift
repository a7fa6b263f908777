extension BusMessage {
    /// Makes a start message.
    ///
    /// - Parameters:
    ///   - streamID: The stream.
    ///   - format: The stream's output format.
    ///   - epoch: The stream's new incarnation.
    /// - Returns: A start message with no payload.
    public static func start(streamID: StreamID, format: MP3OutputFormat, epoch: UInt32) -> BusMessage {
        BusMessage(streamID: streamID.rawValue, header: .start(format: format, epoch: epoch))
    }

    /// Makes a chunk message carrying the chunk's MP3 bytes.
    ///
    /// - Parameters:
    ///   - streamID: The stream.
    ///   - chunk: The chunk; at most 65535 frames.
    ///   - sequence: The chunk's number: 0-based, contiguous per stream.
    ///   - timestampSamples: The media time of the chunk's first sample, in samples.
    ///   - format: The stream's output format.
    ///   - epoch: The stream's incarnation.
    /// - Returns: A chunk message.
    public static func chunk(
        streamID: StreamID,
        chunk: MP3Chunk,
        sequence: UInt64,
        timestampSamples: UInt64,
        format: MP3OutputFormat,
        epoch: UInt32
    ) -> BusMessage {
        BusMessage(
            streamID: streamID.rawValue,
            header: .chunk(chunk, sequence: sequence, timestampSamples: timestampSamples, format: format, epoch: epoch),
            payload: chunk.bytes
        )
    }

    /// Makes an end message.
    ///
    /// - Parameters:
    ///   - streamID: The stream.
    ///   - chunkCount: The number of chunks published for the stream.
    ///   - totalSamples: The stream's total media time, in samples.
    ///   - stopped: Whether the stream was cut short by stop or shutdown rather than played out.
    ///   - format: The stream's output format.
    ///   - epoch: The stream's incarnation.
    /// - Returns: An end message with no payload.
    public static func end(
        streamID: StreamID,
        chunkCount: UInt64,
        totalSamples: UInt64,
        stopped: Bool,
        format: MP3OutputFormat,
        epoch: UInt32
    ) -> BusMessage {
        BusMessage(
            streamID: streamID.rawValue,
            header: .end(
                chunkCount: chunkCount,
                totalSamples: totalSamples,
                stopped: stopped,
                format: format,
                epoch: epoch
            )
        )
    }

    /// Makes a clear message (barge-in) for a stream: what it published is to be dropped wherever it is not
    /// yet played out.
    public static func clear(
        streamID: StreamID,
        nextSequence: UInt64,
        positionSamples: UInt64,
        format: MP3OutputFormat,
        epoch: UInt32
    ) -> BusMessage {
        BusMessage(
            streamID: streamID.rawValue,
            header: .clear(nextSequence: nextSequence, positionSamples: positionSamples, format: format, epoch: epoch)
        )
    }

    /// Makes a mark message: `name` placed in the stream right after the audio before it.
    ///
    /// - Parameters:
    ///   - streamID: The stream.
    ///   - name: The mark's name: 1 to ``maximumMarkNameBytes`` UTF-8 bytes.
    ///   - nextSequence: The number the stream's next chunk will have.
    ///   - positionSamples: The stream's media time at the mark, in samples.
    ///   - format: The stream's format.
    ///   - epoch: The stream's incarnation.
    public static func mark(
        streamID: StreamID,
        name: String,
        nextSequence: UInt64,
        positionSamples: UInt64,
        format: MP3OutputFormat,
        epoch: UInt32
    ) -> BusMessage {
        BusMessage(
            streamID: streamID.rawValue,
            header: .mark(nextSequence: nextSequence, positionSamples: positionSamples, format: format, epoch: epoch),
            payload: Array(name.utf8)
        )
    }

    /// Makes a heartbeat message.
    ///
    /// - Parameters:
    ///   - counter: The heartbeat counter.
    /// - Returns: A heartbeat on the control topic, with no payload.
    public static func heartbeat(counter: UInt64) -> BusMessage {
        BusMessage(streamID: "", header: .heartbeat(counter: counter))
    }

    /// Makes a catalogue message.
    ///
    /// - Parameters:
    ///   - catalogue: The entries; at most ``BusCatalogue/maximumEntriesPerMessage``.
    ///   - counter: The catalogue counter.
    ///   - format: The encoder's output format.
    /// - Returns: A catalogue on the control topic.
    public static func catalogue(_ catalogue: BusCatalogue, counter: UInt64, format: MP3OutputFormat) -> BusMessage {
        BusMessage(
            streamID: "",
            header: .catalogue(entryCount: catalogue.entries.count, counter: counter, format: format),
            payload: catalogue.encode()
        )
    }

    /// The same chunk, flagged as a replay from the encoder's recent window.
    ///
    /// - Parameters:
    ///   - isLast: Whether it is the replay's last chunk.
    /// - Returns: The flagged copy.
    public func asReplay(isLast: Bool) -> BusMessage {
        var copy = self
        copy.header.isReplay = true
        copy.header.isReplayEnd = isLast
        return copy
    }
}
