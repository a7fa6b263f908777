/// A bus message: the 3-frame ZeroMQ multipart message `[stream id (UTF-8)][32-byte header][payload]` the encoder
/// publishes on its PUB socket.
///
/// A heartbeat has an empty stream id and payload; start and end have an empty payload; a chunk's payload is its
/// whole MP3 frames. Subscribers filter by the stream id frame (a ZeroMQ prefix match).
///
/// Golden vector: chunk 7 of stream "demo" at 8000 Hz, 8 kbps, mono, sync, 1 frame, timestamp 4032 samples, duration
/// 576 samples, whose 72-byte payload is one MPEG-2.5 frame: header `FF E3 18 C4`, `main_data_begin` byte `00`, then
/// bytes `05` to `47` (each byte its own offset), is:
///
/// ```
/// frame 0: 64 65 6D 6F
/// frame 1: 01 02 01 01 00 00 1F 40 00 08 00 01 00 00 00 00 00 00 00 07 00 00 00 00 00 00 0F C0 00 00 02 40
/// frame 2: FF E3 18 C4 00 05 06 07 08 09 0A 0B … 45 46 47
/// ```
public struct BusMessage: Sendable, Hashable {
    /// The stream id: a valid ``StreamID`` for start, chunk and end; empty for a heartbeat.
    public var streamID: String
    /// The header.
    public var header: BusHeader
    /// A chunk's MP3 bytes (whole frames); empty for other kinds.
    public var payload: [UInt8]

    /// Makes a message from its parts, unchecked; see ``init(frames:)`` for the rules a receiver checks.
    ///
    /// - Parameters:
    ///   - streamID: The stream id; empty for a heartbeat.
    ///   - header: The header.
    ///   - payload: A chunk's MP3 bytes; empty for other kinds.
    public init(streamID: String, header: BusHeader, payload: [UInt8] = []) {
        self.streamID = streamID
        self.header = header
        self.payload = payload
    }

    /// Decodes and validates a received multipart message.
    ///
    /// - Parameters:
    ///   - frames: The message's frames: `[stream id][32-byte header][payload]`.
    /// - Throws: ``BusDecodingError`` unless there are exactly 3 frames, the header is a valid version-1 header, the
    ///   stream id is a valid ``StreamID`` (empty for and only for a heartbeat), a chunk has a payload and at least
    ///   one frame, and other kinds have no payload.
    public init(frames: [[UInt8]]) throws(BusDecodingError) {
        guard frames.count == 3 else {
            throw .wrongFrameCount(frames.count)
        }
        let header = try BusHeader(decoding: frames[1])
        guard let streamID = String(validating: frames[0], as: UTF8.self) else {
            throw .streamIDNotUTF8
        }
        let payload = frames[2]
        switch header.kind {
        case .heartbeat:
            guard streamID.isEmpty else {
                throw .heartbeatWithStreamID(streamID)
            }
        case .start, .chunk, .end:
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
        case .start, .end, .heartbeat:
            guard payload.isEmpty else {
                throw .unexpectedPayload(kind: header.kind, length: payload.count)
            }
        }
        self.init(streamID: streamID, header: header, payload: payload)
    }

    /// Encodes the message as its 3 multipart frames.
    ///
    /// - Returns: `[stream id (UTF-8)][32-byte header][payload]`.
    public func frames() -> [[UInt8]] {
        [Array(self.streamID.utf8), self.header.encode(), self.payload]
    }
}
