/// A parsed MPEG audio Layer III (MP3) frame header.
///
/// The header is the first 4 bytes of every frame:
///
/// ```
/// AAAAAAAA AAABBCCD EEEEFFGH IIJJKLMM
/// A sync (11 ones)   B version   C layer (01 = III)   D protection (0 = CRC follows)
/// E bitrate index    F sample rate index   G padding   H private
/// I channel mode     J mode extension   K copyright   L original   M emphasis
/// ```
///
/// For example `FF E3 18 C4` is MPEG-2.5, 8000 Hz, 8 kbps, mono, no CRC: a 72-byte frame of 576 samples (72 ms).
public struct MP3FrameHeader: Sendable, Hashable {
    /// The length of a frame header in bytes.
    public static let length = 4

    /// The 4 header bytes, big-endian.
    public let rawValue: UInt32
    /// The MPEG version.
    public let version: MPEGVersion
    /// The bitrate in kbps (1000 bits per second).
    public let bitrate: Int
    /// The sample rate in Hz.
    public let sampleRate: Int
    /// Whether the frame carries one padding byte.
    public let hasPadding: Bool
    /// Whether a 16-bit CRC follows the header (protection bit 0).
    public let hasCRC: Bool
    /// The channel mode.
    public let channelMode: MP3ChannelMode

    /// Parses a frame header from the first 4 bytes of `bytes`.
    ///
    /// - Parameters:
    ///   - bytes: At least 4 bytes; bytes after the fourth are ignored.
    /// - Throws: ``MP3HeaderError`` if there are fewer than 4 bytes or they are not a Layer III header
    ///   with a known bitrate and sample rate.
    public init<Bytes: Collection>(bytes: Bytes) throws(MP3HeaderError) where Bytes.Element == UInt8 {
        var word: UInt32 = 0
        var count = 0
        for byte in bytes.prefix(Self.length) {
            word = word << 8 | UInt32(byte)
            count += 1
        }
        guard count == Self.length else {
            throw .truncated(needed: Self.length, got: count)
        }
        try self.init(rawValue: word)
    }

    /// Parses a frame header from its 4 bytes as a big-endian integer.
    ///
    /// - Parameters:
    ///   - rawValue: The header, e.g. `0xFFE3_18C4`.
    /// - Throws: ``MP3HeaderError`` if it is not a Layer III header with a known bitrate and sample rate.
    public init(rawValue: UInt32) throws(MP3HeaderError) {
        guard rawValue >> 21 == 0x7FF else {
            throw .noSync(UInt8(rawValue >> 24), UInt8(truncatingIfNeeded: rawValue >> 16))
        }
        let version: MPEGVersion
        switch (rawValue >> 19) & 0b11 {
        case 0b00: version = .mpeg2_5
        case 0b10: version = .mpeg2
        case 0b11: version = .mpeg1
        default: throw .reservedVersion
        }
        switch (rawValue >> 17) & 0b11 {
        case 0b01: break
        case 0b10: throw .unsupportedLayer(2)
        case 0b11: throw .unsupportedLayer(1)
        default: throw .reservedLayer
        }
        let bitrateIndex = Int((rawValue >> 12) & 0xF)
        switch bitrateIndex {
        case 0: throw .freeBitrate
        case 15: throw .badBitrateIndex
        default: break
        }
        let sampleRateIndex = Int((rawValue >> 10) & 0b11)
        guard sampleRateIndex < 3 else {
            throw .reservedSampleRate(version)
        }
        self.rawValue = rawValue
        self.version = version
        self.bitrate = version.layer3Bitrates[bitrateIndex - 1]
        self.sampleRate = version.sampleRates[sampleRateIndex]
        self.hasPadding = (rawValue >> 9) & 1 == 1
        self.hasCRC = (rawValue >> 16) & 1 == 0
        self.channelMode = MP3ChannelMode(rawValue: UInt8((rawValue >> 6) & 0b11))!
    }

    /// The 4 header bytes.
    public var bytes: [UInt8] {
        [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: self.rawValue >> $0) }
    }

    /// The length of the whole frame in bytes, header included: `144 × bitrate / rate` (MPEG-1) or
    /// `72 × bitrate / rate` (MPEG-2 and 2.5), rounded down, plus 1 if padded.
    public var frameLength: Int {
        self.version.frameLengthCoefficient * self.bitrate * 1000 / self.sampleRate + (self.hasPadding ? 1 : 0)
    }

    /// The number of PCM samples (per channel) the frame decodes to: 1152 (MPEG-1) or 576 (MPEG-2 and 2.5).
    public var samplesPerFrame: Int {
        self.version.samplesPerFrame
    }

    /// The playing time of the frame, e.g. 72 ms for MPEG-2.5 at 8000 Hz.
    public var duration: Duration {
        MP3SampleClock.duration(samples: Int64(self.samplesPerFrame), sampleRate: Int64(self.sampleRate))
    }

    /// The length of the side information in bytes: 17/32 (MPEG-1 mono/other), 9/17 (MPEG-2 and 2.5 mono/other).
    public var sideInfoLength: Int {
        self.version.sideInfoLength(channelMode: self.channelMode)
    }

    /// The offset of the side information in the frame: after the header and the 2-byte CRC if present.
    public var sideInfoOffset: Int {
        Self.length + (self.hasCRC ? 2 : 0)
    }

    /// The number of audio channels: 1 for mono, 2 otherwise.
    public var channelCount: Int {
        self.channelMode.channelCount
    }
}
