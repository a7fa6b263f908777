extension BusHeader {
    /// Makes the header of a start message.
    ///
    /// - Parameters:
    ///   - format: The stream's output format.
    ///   - epoch: The stream's new incarnation.
    /// - Returns: A start header carrying the format.
    public static func start(format: MP3OutputFormat, epoch: UInt32) -> BusHeader {
        BusHeader(
            kind: .start,
            channels: UInt8(format.channels),
            sampleRate: UInt32(format.sampleRate),
            bitrate: UInt16(format.bitrate),
            epoch: epoch
        )
    }

    /// Makes the header of a chunk message.
    ///
    /// - Parameters:
    ///   - chunk: The chunk; at most 65535 frames.
    ///   - sequence: The chunk's number: 0-based, contiguous per stream.
    ///   - timestampSamples: The media time of the chunk's first sample, in samples.
    ///   - format: The stream's output format.
    ///   - epoch: The stream's incarnation.
    /// - Returns: A chunk header with the chunk's frame count, sample count and sync flag.
    public static func chunk(
        _ chunk: MP3Chunk,
        sequence: UInt64,
        timestampSamples: UInt64,
        format: MP3OutputFormat,
        epoch: UInt32
    ) -> BusHeader {
        BusHeader(
            kind: .chunk,
            isSync: chunk.isSync,
            channels: UInt8(format.channels),
            sampleRate: UInt32(format.sampleRate),
            bitrate: UInt16(format.bitrate),
            frameCount: UInt16(chunk.frameCount),
            sequence: sequence,
            timestampSamples: timestampSamples,
            durationSamples: UInt32(chunk.sampleCount),
            epoch: epoch
        )
    }

    /// Makes the header of an end message.
    ///
    /// - Parameters:
    ///   - chunkCount: The number of chunks published for the stream.
    ///   - totalSamples: The stream's total media time, in samples.
    ///   - stopped: Whether the stream was cut short by stop or shutdown rather than played out.
    ///   - format: The stream's output format.
    ///   - epoch: The stream's incarnation.
    /// - Returns: An end header.
    public static func end(
        chunkCount: UInt64,
        totalSamples: UInt64,
        stopped: Bool,
        format: MP3OutputFormat,
        epoch: UInt32
    ) -> BusHeader {
        BusHeader(
            kind: .end,
            isStopped: stopped,
            channels: UInt8(format.channels),
            sampleRate: UInt32(format.sampleRate),
            bitrate: UInt16(format.bitrate),
            sequence: chunkCount,
            timestampSamples: totalSamples,
            epoch: epoch
        )
    }

    /// Makes the header of a clear message: the stream's audio not yet played out is to be dropped.
    ///
    /// - Parameters:
    ///   - nextSequence: The number the stream's next chunk will have.
    ///   - positionSamples: The stream's media time at the clear, in samples.
    ///   - format: The stream's format.
    ///   - epoch: The stream's incarnation.
    public static func clear(
        nextSequence: UInt64,
        positionSamples: UInt64,
        format: MP3OutputFormat,
        epoch: UInt32
    ) -> BusHeader {
        BusHeader(
            kind: .clear,
            channels: UInt8(format.channels),
            sampleRate: UInt32(format.sampleRate),
            bitrate: UInt16(format.bitrate),
            sequence: nextSequence,
            timestampSamples: positionSamples,
            epoch: epoch
        )
    }

    /// Makes the header of a mark message: a named point in the stream, right after the audio before it.
    ///
    /// - Parameters:
    ///   - nextSequence: The number the stream's next chunk will have.
    ///   - positionSamples: The stream's media time at the mark, in samples.
    ///   - format: The stream's format.
    ///   - epoch: The stream's incarnation.
    public static func mark(
        nextSequence: UInt64,
        positionSamples: UInt64,
        format: MP3OutputFormat,
        epoch: UInt32
    ) -> BusHeader {
        BusHeader(
            kind: .mark,
            channels: UInt8(format.channels),
            sampleRate: UInt32(format.sampleRate),
            bitrate: UInt16(format.bitrate),
            sequence: nextSequence,
            timestampSamples: positionSamples,
            epoch: epoch
        )
    }

    /// Makes the header of a catalogue message.
    ///
    /// - Parameters:
    ///   - entryCount: The number of entries in the payload; at most 65535.
    ///   - counter: The catalogue counter.
    ///   - format: The encoder's output format.
    /// - Returns: A catalogue header.
    public static func catalogue(entryCount: Int, counter: UInt64, format: MP3OutputFormat) -> BusHeader {
        BusHeader(
            kind: .catalogue,
            channels: UInt8(format.channels),
            sampleRate: UInt32(format.sampleRate),
            bitrate: UInt16(format.bitrate),
            frameCount: UInt16(entryCount),
            sequence: counter
        )
    }

    /// Makes the header of a heartbeat message.
    ///
    /// - Parameters:
    ///   - counter: The heartbeat counter.
    /// - Returns: A heartbeat header; all other fields 0.
    public static func heartbeat(counter: UInt64) -> BusHeader {
        BusHeader(kind: .heartbeat, sequence: counter)
    }
}
