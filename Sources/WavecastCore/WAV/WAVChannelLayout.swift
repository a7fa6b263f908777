/// How a WAV decoder arranges the channels of each sample frame in its output.
public enum WAVChannelLayout: Sendable, Hashable {
    /// One sample per frame: the average of the frame's channels.
    case downmixToMono
    /// Every channel kept, interleaved frame by frame (`L R L R …`).
    case interleaved
}
