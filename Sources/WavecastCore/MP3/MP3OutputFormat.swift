/// A valid MP3 (Layer III) output format: sample rate, constant bitrate and channel count.
///
/// The sample rate decides the MPEG version, and with it the allowed bitrates and the frame size. The default,
/// ``default``, is 8000 Hz, 8 kbps, mono: MPEG-2.5, 576 samples (72 ms) and 72 bytes per frame.
public struct MP3OutputFormat: Sendable, Hashable, CustomStringConvertible {
    /// 8000 Hz, 8 kbps, mono: MPEG-2.5, 576 samples (72 ms) and 72 bytes per frame.
    public static let `default` = try! MP3OutputFormat(sampleRate: 8000, bitrate: 8, channels: 1)

    /// The sample rate in Hz: one of 8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000.
    public let sampleRate: Int
    /// The constant bitrate in kbps, one allowed for the sample rate's MPEG version.
    public let bitrate: Int
    /// The number of channels: 1 or 2.
    public let channels: Int

    /// Makes an output format, checking it against the Layer III tables.
    ///
    /// - Parameters:
    ///   - sampleRate: The sample rate in Hz; it must be one that MPEG-1, 2 or 2.5 carries.
    ///   - bitrate: The bitrate in kbps; it must be in the table of the sample rate's MPEG version
    ///     (MPEG-1: 32–320, MPEG-2 and 2.5: 8–160).
    ///   - channels: 1 (mono) or 2 (stereo).
    /// - Throws: ``MP3FormatError`` naming what is not allowed and what is.
    public init(sampleRate: Int, bitrate: Int, channels: Int) throws(MP3FormatError) {
        guard let version = MPEGVersion.carrying(sampleRate: sampleRate) else {
            throw .unsupportedSampleRate(sampleRate)
        }
        guard version.layer3Bitrates.contains(bitrate) else {
            throw .unsupportedBitrate(bitrate, sampleRate: sampleRate)
        }
        guard channels == 1 || channels == 2 else {
            throw .unsupportedChannelCount(channels)
        }
        self.sampleRate = sampleRate
        self.bitrate = bitrate
        self.channels = channels
    }

    /// The MPEG version the sample rate implies.
    public var mpegVersion: MPEGVersion {
        MPEGVersion.carrying(sampleRate: self.sampleRate)!
    }

    /// The number of samples (per channel) in one frame: 1152 (MPEG-1) or 576 (MPEG-2 and 2.5).
    public var samplesPerFrame: Int {
        self.mpegVersion.samplesPerFrame
    }

    /// The playing time of one frame, e.g. 72 ms at 8000 Hz.
    public var frameDuration: Duration {
        MP3SampleClock.duration(samples: Int64(self.samplesPerFrame), sampleRate: Int64(self.sampleRate))
    }

    /// The length in bytes of an unpadded frame, e.g. 72 at 8000 Hz and 8 kbps; a padded frame is 1 byte longer.
    public var frameLength: Int {
        self.mpegVersion.frameLengthCoefficient * self.bitrate * 1000 / self.sampleRate
    }

    /// E.g. "8000 Hz 8 kbps mono (MPEG-2.5)".
    public var description: String {
        "\(self.sampleRate) Hz \(self.bitrate) kbps \(self.channels == 1 ? "mono" : "stereo") (\(self.mpegVersion))"
    }
}
