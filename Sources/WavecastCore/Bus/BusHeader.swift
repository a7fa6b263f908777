/// The 40-byte binary header of a bus message, the second of its three frames. All integers are big-endian.
///
/// ```
/// offset size field
/// 0      1    version = 2
/// 1      1    kind: 1 start, 2 chunk, 3 end, 4 heartbeat, 5 catalogue, 6 clear, 7 mark
/// 2      1    flags: bit 0 sync (chunk starts on a frame with main_data_begin 0),
///             bit 1 stopped (end: cut short by stop/shutdown, not played out),
///             bit 2 replay (chunk: sent again from the encoder's recent window for a new
///             subscriber, after it was first published live),
///             bit 3 replay end (the last chunk of such a replay); other bits 0
/// 3      1    channels
/// 4      4    sample rate (Hz)
/// 8      2    bitrate (kbps)
/// 10     2    frame count in this chunk (catalogue: number of entries; 0 for other kinds)
/// 12     8    sequence number (chunk: its number, 0-based, contiguous per stream; start: 0;
///             end: number of chunks published; heartbeat: heartbeat counter;
///             catalogue: catalogue counter; clear and mark: the next chunk's number)
/// 20     8    timestamp in samples at the sample rate (chunk: media time of its first sample;
///             end: total media time; clear and mark: media time at it; start/heartbeat: 0)
/// 28     4    duration in samples (chunk: its sample count; others 0)
/// 32     4    epoch: the stream's incarnation, new on each start (0 for heartbeat and catalogue)
/// 36     1    rendition: 0 MP3, 1 G.711 µ-law (8 kHz mono, 64 kbps)
/// 37     3    reserved, 0
/// ```
///
/// For example, chunk 7 of an 8000 Hz, 8 kbps mono MP3 stream of epoch 0x0A0B0C0D, one sync frame at 4032 samples:
///
/// ```
/// 02 02 01 01 00 00 1F 40 00 08 00 01 00 00 00 00 00 00 00 07 00 00 00 00 00 00 0F C0 00 00 02 40
/// 0A 0B 0C 0D 00 00 00 00
/// ```
///
/// Version 1 (the first 32 bytes alone, version byte 1) is still read, as epoch 0 and MP3, so a new gateway
/// follows an encoder not yet upgraded; an old gateway refuses version 2 by its length (40 bytes, not 32).
public struct BusHeader: Sendable, Hashable {
    /// The length of the header this build writes, in bytes.
    public static let length = 40
    /// The header version this build writes.
    public static let version: UInt8 = 2
    /// The length of a version-1 header, which this build still reads.
    public static let version1Length = 32

    /// The flags bit saying a chunk starts on a frame with `main_data_begin == 0`.
    static let syncFlag: UInt8 = 1 << 0
    /// The flags bit saying an end was cut short by stop or shutdown.
    static let stoppedFlag: UInt8 = 1 << 1
    /// The flags bit saying a chunk is a replay from the encoder's recent window.
    static let replayFlag: UInt8 = 1 << 2
    /// The flags bit saying a replayed chunk is the replay's last.
    static let replayEndFlag: UInt8 = 1 << 3

    /// The message's kind.
    public var kind: BusMessageKind
    /// Flag bit 0: the chunk starts on a frame that decodes on its own (`main_data_begin == 0`).
    public var isSync: Bool
    /// Flag bit 1: the stream ended because it was stopped or the encoder shut down, not because it played out.
    public var isStopped: Bool
    /// Flag bit 2: the chunk was published before and is sent again, from the encoder's recent window, because a
    /// subscriber just subscribed to its stream (see ``BusMessage``).
    public var isReplay: Bool
    /// Flag bit 3: the chunk is the last of a replay, so a subscriber holding the replay can use it now.
    public var isReplayEnd: Bool
    /// The number of audio channels.
    public var channels: UInt8
    /// The sample rate in Hz.
    public var sampleRate: UInt32
    /// The bitrate in kbps.
    public var bitrate: UInt16
    /// The number of MP3 frames in a chunk; 0 for other kinds.
    public var frameCount: UInt16
    /// A chunk's number (0-based, contiguous per stream); for an end, the number of chunks published; for a
    /// heartbeat, the heartbeat counter; 0 for a start.
    public var sequence: UInt64
    /// A chunk's media time of its first sample, or an end's total media time, in samples at ``sampleRate``;
    /// 0 for start and heartbeat.
    public var timestampSamples: UInt64
    /// A chunk's number of samples (per channel); 0 for other kinds.
    public var durationSamples: UInt32
    /// The stream's incarnation: the encoder draws a new one for each `start`, and every message of the stream
    /// until its end carries it, so a receiver can tell a restarted (or moved) stream from the one it knew.
    /// 0 for heartbeats, catalogues and version-1 headers.
    public var epoch: UInt32
    /// Which rendition of the stream a chunk carries.
    public var rendition: BusRendition

    /// Makes a header; fields not given are 0.
    ///
    /// - Parameters:
    ///   - kind: The message's kind.
    ///   - isSync: Whether a chunk starts on a frame that decodes on its own.
    ///   - isStopped: Whether an end was cut short by stop or shutdown.
    ///   - isReplay: Whether a chunk is sent again from the encoder's recent window.
    ///   - isReplayEnd: Whether a replayed chunk is the replay's last.
    ///   - channels: The number of audio channels.
    ///   - sampleRate: The sample rate in Hz.
    ///   - bitrate: The bitrate in kbps.
    ///   - frameCount: A chunk's number of frames.
    ///   - sequence: The sequence number (see ``sequence``).
    ///   - timestampSamples: The media timestamp in samples (see ``timestampSamples``).
    ///   - durationSamples: A chunk's number of samples.
    ///   - epoch: The stream's incarnation (see ``epoch``).
    ///   - rendition: Which rendition a chunk carries.
    public init(
        kind: BusMessageKind,
        isSync: Bool = false,
        isStopped: Bool = false,
        isReplay: Bool = false,
        isReplayEnd: Bool = false,
        channels: UInt8 = 0,
        sampleRate: UInt32 = 0,
        bitrate: UInt16 = 0,
        frameCount: UInt16 = 0,
        sequence: UInt64 = 0,
        timestampSamples: UInt64 = 0,
        durationSamples: UInt32 = 0,
        epoch: UInt32 = 0,
        rendition: BusRendition = .mp3
    ) {
        self.kind = kind
        self.isSync = isSync
        self.isStopped = isStopped
        self.isReplay = isReplay
        self.isReplayEnd = isReplayEnd
        self.channels = channels
        self.sampleRate = sampleRate
        self.bitrate = bitrate
        self.frameCount = frameCount
        self.sequence = sequence
        self.timestampSamples = timestampSamples
        self.durationSamples = durationSamples
        self.epoch = epoch
        self.rendition = rendition
    }

    /// Decodes a header from an array: what every received bus message holds. The same as the generic
    /// ``init(decoding:)``, compiled for arrays here, so a caller in another module does not run the
    /// unspecialized generic code for every message.
    ///
    /// - Parameters:
    ///   - bytes: A version-2 header (40 bytes) or a version-1 header (32 bytes).
    /// - Throws: ``BusDecodingError`` if the bytes are neither.
    public init(decoding bytes: [UInt8]) throws(BusDecodingError) {
        try self.init(decodingCollection: bytes)
    }

    /// Decodes a header, checking its version, length, kind, rendition and reserved bits.
    ///
    /// - Parameters:
    ///   - bytes: A version-2 header (40 bytes) or a version-1 header (32 bytes).
    /// - Throws: ``BusDecodingError`` if the bytes are neither.
    public init<Bytes: Collection>(decoding bytes: Bytes) throws(BusDecodingError) where Bytes.Element == UInt8 {
        try self.init(decodingCollection: bytes)
    }

    private init<Bytes: Collection>(decodingCollection bytes: Bytes) throws(BusDecodingError)
    where Bytes.Element == UInt8 {
        // The version first, so a header of a version this build does not know is named as such, whatever its length.
        guard let version = bytes.first else {
            throw .wrongHeaderLength(0)
        }
        let expectedLength: Int
        switch version {
        case Self.version: expectedLength = Self.length
        case 1: expectedLength = Self.version1Length
        default: throw .unsupportedVersion(version)
        }
        guard bytes.count == expectedLength else {
            throw .wrongHeaderLength(bytes.count)
        }
        var reader = BigEndianReader(bytes)
        let _: UInt8 = reader.read()
        let kindByte: UInt8 = reader.read()
        guard let kind = BusMessageKind(rawValue: kindByte) else {
            throw .unknownKind(kindByte)
        }
        let flags: UInt8 = reader.read()
        guard flags & ~(Self.syncFlag | Self.stoppedFlag | Self.replayFlag | Self.replayEndFlag) == 0 else {
            throw .reservedFlags(flags)
        }
        self.kind = kind
        self.isSync = flags & Self.syncFlag != 0
        self.isStopped = flags & Self.stoppedFlag != 0
        self.isReplay = flags & Self.replayFlag != 0
        self.isReplayEnd = flags & Self.replayEndFlag != 0
        self.channels = reader.read()
        self.sampleRate = reader.read()
        self.bitrate = reader.read()
        self.frameCount = reader.read()
        self.sequence = reader.read()
        self.timestampSamples = reader.read()
        self.durationSamples = reader.read()
        guard version == Self.version else {
            self.epoch = 0
            self.rendition = .mp3
            return
        }
        self.epoch = reader.read()
        let renditionByte: UInt8 = reader.read()
        guard let rendition = BusRendition(rawValue: renditionByte) else {
            throw .unknownRendition(renditionByte)
        }
        self.rendition = rendition
        let reserved: UInt8 = reader.read()
        let reservedTail: UInt16 = reader.read()
        guard reserved == 0 && reservedTail == 0 else {
            throw .reservedBytes
        }
    }

    /// The flags byte: bit 0 ``isSync``, bit 1 ``isStopped``, bit 2 ``isReplay``, bit 3 ``isReplayEnd``.
    public var flags: UInt8 {
        (self.isSync ? Self.syncFlag : 0) | (self.isStopped ? Self.stoppedFlag : 0)
            | (self.isReplay ? Self.replayFlag : 0) | (self.isReplayEnd ? Self.replayEndFlag : 0)
    }

    /// ``timestampSamples`` as a time; zero if ``sampleRate`` is 0.
    public var timestamp: Duration {
        MP3SampleClock.duration(samples: Int64(clamping: self.timestampSamples), sampleRate: Int64(self.sampleRate))
    }

    /// ``durationSamples`` as a time; zero if ``sampleRate`` is 0.
    public var duration: Duration {
        MP3SampleClock.duration(samples: Int64(self.durationSamples), sampleRate: Int64(self.sampleRate))
    }

    /// Encodes the header.
    ///
    /// - Returns: The 40 header bytes.
    public func encode() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.length)
        self.write(into: &bytes)
        return bytes
    }

    /// Appends the 40 header bytes to `bytes`.
    ///
    /// - Parameters:
    ///   - bytes: The buffer to append to.
    public func write(into bytes: inout [UInt8]) {
        bytes.appendBigEndian(Self.version)
        bytes.appendBigEndian(self.kind.rawValue)
        bytes.appendBigEndian(self.flags)
        bytes.appendBigEndian(self.channels)
        bytes.appendBigEndian(self.sampleRate)
        bytes.appendBigEndian(self.bitrate)
        bytes.appendBigEndian(self.frameCount)
        bytes.appendBigEndian(self.sequence)
        bytes.appendBigEndian(self.timestampSamples)
        bytes.appendBigEndian(self.durationSamples)
        bytes.appendBigEndian(self.epoch)
        bytes.appendBigEndian(self.rendition.rawValue)
        bytes.appendBigEndian(UInt8(0))
        bytes.appendBigEndian(UInt16(0))
    }
}

/// Reads big-endian integers from a collection of bytes known to be long enough.
struct BigEndianReader<Bytes: Collection> where Bytes.Element == UInt8 {
    private let bytes: Bytes
    private var index: Bytes.Index

    init(_ bytes: Bytes) {
        self.bytes = bytes
        self.index = bytes.startIndex
    }

    mutating func read<Value: FixedWidthInteger>() -> Value {
        var value: Value = 0
        for _ in 0..<MemoryLayout<Value>.size {
            value = value << 8 | Value(self.bytes[self.index])
            self.bytes.formIndex(after: &self.index)
        }
        return value
    }
}

extension [UInt8] {
    mutating func appendBigEndian<Value: FixedWidthInteger>(_ value: Value) {
        for shift in stride(from: Value.bitWidth - 8, through: 0, by: -8) {
            self.append(UInt8(truncatingIfNeeded: value >> shift))
        }
    }
}
