/// A bus message: the 3-frame ZeroMQ multipart message `[stream id (UTF-8)][40-byte header][payload]` the encoder
/// publishes on its PUB socket.
///
/// The first frame is the message's topic. Start, chunk and end travel on their stream's topic, the stream id (a
/// µ-law rendition's messages on `~mulaw/` and the stream id, see ``BusRendition/topicPrefix``); a
/// heartbeat and a catalogue travel on the control topic, exactly `#` (a character no stream id has), so a subscriber
/// can take the control topic and only the streams it wants. ZeroMQ subscriptions match prefixes: a subscriber to
/// `demo` also receives `demo2`, so it compares the first frame exactly.
///
/// Start, end and clear have an empty payload, a heartbeat too; a chunk's payload is its whole MP3 frames (or µ-law
/// bytes); a catalogue's is a ``BusCatalogue``; a mark's is its name.
///
/// Golden vector: chunk 7 of stream "demo" of epoch 0x0A0B0C0D at 8000 Hz, 8 kbps, mono, sync, 1 frame, timestamp
/// 4032 samples, duration 576 samples, whose 72-byte payload is one MPEG-2.5 frame: header `FF E3 18 C4`,
/// `main_data_begin` byte `00`, then bytes `05` to `47` (each byte its own offset), is:
///
/// ```
/// frame 0: 64 65 6D 6F
/// frame 1: 02 02 01 01 00 00 1F 40 00 08 00 01 00 00 00 00 00 00 00 07 00 00 00 00 00 00 0F C0 00 00 02 40
///          0A 0B 0C 0D 00 00 00 00
/// frame 2: FF E3 18 C4 00 05 06 07 08 09 0A 0B … 45 46 47
/// ```
public struct BusMessage: Sendable, Hashable {
    /// The stream id: a valid ``StreamID`` for start, chunk and end; empty for a heartbeat and a catalogue.
    public var streamID: String
    /// The header.
    public var header: BusHeader
    /// A chunk's MP3 bytes (whole frames), or a catalogue's entries; empty for other kinds.
    public var payload: [UInt8]

    /// Makes a message from its parts, unchecked; see ``init(frames:)`` for the rules a receiver checks.
    ///
    /// - Parameters:
    ///   - streamID: The stream id; empty for a heartbeat and a catalogue.
    ///   - header: The header.
    ///   - payload: A chunk's MP3 bytes or a catalogue's entries; empty for other kinds.
    public init(streamID: String, header: BusHeader, payload: [UInt8] = []) {
        self.streamID = streamID
        self.header = header
        self.payload = payload
    }

    /// The longest mark name, in UTF-8 bytes.
    public static let maximumMarkNameBytes = 256

    /// The control topic, `#`: the first frame of every heartbeat and catalogue.
    public static let controlTopic: [UInt8] = [UInt8(ascii: "#")]

    /// Decodes and validates a received multipart message.
    ///
    /// - Parameters:
    ///   - frames: The message's frames: `[topic][40-byte header][payload]`.
    /// - Throws: ``BusDecodingError`` unless there are exactly 3 frames, the header is a valid header, the
    ///   topic is a valid ``StreamID`` for start, chunk and end and exactly `#` for heartbeat and catalogue, a chunk
    ///   has a payload and at least one frame, a catalogue's payload holds the entries it counts, a mark's payload is a
    ///   name of 1–256 UTF-8 bytes, and other kinds have no payload.
    public init(frames: [[UInt8]]) throws(BusDecodingError) {
        guard frames.count == 3 else {
            throw .wrongFrameCount(frames.count)
        }
        let header = try BusHeader(decoding: frames[1])
        guard let topic = String(validating: frames[0], as: UTF8.self) else {
            throw .streamIDNotUTF8
        }
        let payload = frames[2]
        var streamID = topic
        switch header.kind {
        case .heartbeat, .catalogue:
            guard frames[0] == Self.controlTopic else {
                throw .wrongControlTopic(kind: header.kind, topic: topic)
            }
            streamID = ""
        case .start, .chunk, .end, .clear, .mark:
            // A rendition other than MP3 travels on its own topic: its prefix, then the stream id.
            let (topicRendition, rest) = BusRendition.split(topic: topic)
            guard topicRendition == header.rendition else {
                throw .wrongRenditionTopic(header.rendition, topic: topic)
            }
            streamID = String(rest)
            do {
                _ = try StreamID(streamID)
            } catch {
                throw .invalidStreamID(error, kind: header.kind)
            }
        }
        switch header.kind {
        case .chunk:
            guard !payload.isEmpty else {
                throw .emptyChunkPayload
            }
            guard header.frameCount >= 1 else {
                throw .zeroFrameCount
            }
        case .catalogue:
            _ = try BusCatalogue(decoding: payload, count: Int(header.frameCount))
        case .mark:
            guard !payload.isEmpty, payload.count <= Self.maximumMarkNameBytes,
                String(validating: payload, as: UTF8.self) != nil
            else {
                throw .invalidMarkName
            }
        case .start, .end, .heartbeat, .clear:
            guard payload.isEmpty else {
                throw .unexpectedPayload(kind: header.kind, length: payload.count)
            }
        }
        self.init(streamID: streamID, header: header, payload: payload)
    }

    /// The first frame: the stream id (behind its rendition's ``BusRendition/topicPrefix``: `~mulaw/` for µ-law),
    /// or ``controlTopic`` for a heartbeat and a catalogue.
    public var topic: [UInt8] {
        if self.header.kind.isControl { return Self.controlTopic }
        if self.header.rendition == .mp3 { return Array(self.streamID.utf8) }
        return Array((self.header.rendition.topicPrefix + self.streamID).utf8)
    }

    /// Encodes the message as its 3 multipart frames.
    ///
    /// - Returns: `[topic][40-byte header][payload]`.
    public func frames() -> [[UInt8]] {
        [self.topic, self.header.encode(), self.payload]
    }
}
