/// The channel mode of an MP3 frame (header bits 7–6 of the fourth byte).
public enum MP3ChannelMode: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Two independent channels coded as stereo.
    case stereo = 0
    /// Joint stereo (mid/side and/or intensity stereo).
    case jointStereo = 1
    /// Two independent mono channels.
    case dualChannel = 2
    /// A single channel.
    case mono = 3

    /// The number of audio channels: 1 for mono, 2 otherwise.
    public var channelCount: Int {
        self == .mono ? 1 : 2
    }

    /// "stereo", "joint stereo", "dual channel" or "mono".
    public var description: String {
        switch self {
        case .stereo: "stereo"
        case .jointStereo: "joint stereo"
        case .dualChannel: "dual channel"
        case .mono: "mono"
        }
    }
}
