/// Why a sample rate, bitrate and channel count are not an MP3 (Layer III) output format.
public struct MP3FormatError: Error, Sendable, Hashable {
    private enum Base: Sendable, Hashable {
        case unsupportedSampleRate(Int)
        case unsupportedBitrate(Int, sampleRate: Int, version: MPEGVersion)
        case unsupportedChannelCount(Int)
    }

    private let base: Base

    private init(_ base: Base) {
        self.base = base
    }

    /// The sample rate is none of the nine that MPEG-1, 2 and 2.5 Layer III carry.
    ///
    /// - Parameters:
    ///   - sampleRate: The rejected sample rate in Hz.
    public static func unsupportedSampleRate(_ sampleRate: Int) -> Self {
        Self(.unsupportedSampleRate(sampleRate))
    }

    /// The bitrate is not in the bitrate table of the MPEG version the sample rate implies.
    ///
    /// - Parameters:
    ///   - bitrate: The rejected bitrate in kbps.
    ///   - sampleRate: The (valid) sample rate in Hz.
    public static func unsupportedBitrate(_ bitrate: Int, sampleRate: Int) -> Self {
        Self(
            .unsupportedBitrate(bitrate, sampleRate: sampleRate, version: MPEGVersion.carrying(sampleRate: sampleRate)!)
        )
    }

    /// The channel count is neither 1 nor 2.
    ///
    /// - Parameters:
    ///   - channels: The rejected channel count.
    public static func unsupportedChannelCount(_ channels: Int) -> Self {
        Self(.unsupportedChannelCount(channels))
    }

    /// A stable short identifier of the kind of error, e.g. `"mp3.unsupported_bitrate"`.
    public var code: String {
        switch self.base {
        case .unsupportedSampleRate: "mp3.unsupported_sample_rate"
        case .unsupportedBitrate: "mp3.unsupported_bitrate"
        case .unsupportedChannelCount: "mp3.unsupported_channel_count"
        }
    }
}

extension MP3FormatError: CustomStringConvertible {
    /// A message a person can act on.
    public var description: String {
        switch self.base {
        case .unsupportedSampleRate(let sampleRate):
            "MP3 cannot carry a sample rate of \(sampleRate) Hz; use one of "
                + "\(MPEGVersion.allSampleRates.map(String.init).joined(separator: ", ")) Hz"
        case .unsupportedBitrate(let bitrate, let sampleRate, let version):
            "MP3 at \(sampleRate) Hz is \(version), which has no bitrate of \(bitrate) kbps; use one of "
                + "\(version.layer3Bitrates.map(String.init).joined(separator: ", ")) kbps"
        case .unsupportedChannelCount(let channels):
            "MP3 output must have 1 (mono) or 2 (stereo) channels, not \(channels)"
        }
    }
}
