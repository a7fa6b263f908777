/// The MPEG audio version of a frame, which fixes its sample rates, bitrates and frame size.
///
/// At 8 kHz output, MP3 is MPEG-2.5: 576 samples per frame, not 1152.
public enum MPEGVersion: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// MPEG-1: 32, 44.1 and 48 kHz; 1152 samples per Layer III frame.
    case mpeg1
    /// MPEG-2 (LSF): 16, 22.05 and 24 kHz; 576 samples per Layer III frame.
    case mpeg2
    /// MPEG-2.5: 8, 11.025 and 12 kHz; 576 samples per Layer III frame.
    case mpeg2_5

    /// The three sample rates of this version, in the order of the header's sample rate index.
    public var sampleRates: [Int] {
        switch self {
        case .mpeg1: [44100, 48000, 32000]
        case .mpeg2: [22050, 24000, 16000]
        case .mpeg2_5: [11025, 12000, 8000]
        }
    }

    /// The Layer III bitrates (kbps) of this version, in the order of the header's bitrate index 1...14.
    public var layer3Bitrates: [Int] {
        switch self {
        case .mpeg1: [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320]
        case .mpeg2, .mpeg2_5: [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160]
        }
    }

    /// The number of PCM samples (per channel) in one Layer III frame: 1152 for MPEG-1, 576 otherwise.
    public var samplesPerFrame: Int {
        switch self {
        case .mpeg1: 1152
        case .mpeg2, .mpeg2_5: 576
        }
    }

    /// The number of bits of `main_data_begin` at the start of the side information: 9 for MPEG-1, 8 otherwise.
    public var mainDataBeginBits: Int {
        switch self {
        case .mpeg1: 9
        case .mpeg2, .mpeg2_5: 8
        }
    }

    /// The length in bytes of the Layer III side information for the given channel mode.
    ///
    /// - Parameters:
    ///   - channelMode: The frame's channel mode; mono frames carry shorter side information.
    /// - Returns: 17 (mono) or 32 for MPEG-1; 9 (mono) or 17 for MPEG-2 and MPEG-2.5.
    public func sideInfoLength(channelMode: MP3ChannelMode) -> Int {
        switch (self, channelMode == .mono) {
        case (.mpeg1, true): 17
        case (.mpeg1, false): 32
        case (_, true): 9
        case (_, false): 17
        }
    }

    /// The MPEG version that carries the given sample rate, or `nil` if no version does.
    ///
    /// - Parameters:
    ///   - sampleRate: A sample rate in Hz.
    /// - Returns: The version whose sample rate table contains `sampleRate`.
    public static func carrying(sampleRate: Int) -> MPEGVersion? {
        Self.allCases.first { $0.sampleRates.contains(sampleRate) }
    }

    /// Every sample rate MP3 (Layer III) can carry, in ascending order.
    public static var allSampleRates: [Int] {
        Self.allCases.flatMap(\.sampleRates).sorted()
    }

    /// "MPEG-1", "MPEG-2" or "MPEG-2.5".
    public var description: String {
        switch self {
        case .mpeg1: "MPEG-1"
        case .mpeg2: "MPEG-2"
        case .mpeg2_5: "MPEG-2.5"
        }
    }

    /// The multiplier of `bitrate / sampleRate` in the Layer III frame length: 144 for MPEG-1, 72 otherwise.
    var frameLengthCoefficient: Int {
        switch self {
        case .mpeg1: 144
        case .mpeg2, .mpeg2_5: 72
        }
    }
}
