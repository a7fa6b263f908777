/// How LAME is set up for one stream: the input it is given and the MP3 it makes.
public struct LAMEConfiguration: Sendable, Hashable {
    /// Sample rate of the mono PCM handed to the encoder, in Hz; LAME resamples to ``outputSampleRate``.
    public var inputSampleRate: Int
    /// Sample rate of the MP3, in Hz (one that MPEG-1, 2 or 2.5 Layer III allows).
    public var outputSampleRate: Int
    /// Constant bitrate of the MP3, in kbit/s.
    public var bitrate: Int
    /// LAME's algorithm quality, 0 (best, slowest) to 9 (worst, fastest).
    public var quality: Int
    /// Whether frames may borrow unused bytes of earlier frames (LAME's bit reservoir).
    ///
    /// Off by default: every frame then decodes on its own, so every chunk is a sync point and a
    /// listener can join anywhere. docs/ARCHITECTURE.md records the quality this costs.
    public var bitReservoir: Bool

    /// Creates a configuration; the defaults are Wavecast's voice format, 8 kHz mono at 8 kbit/s.
    public init(
        inputSampleRate: Int = 8000,
        outputSampleRate: Int = 8000,
        bitrate: Int = 8,
        quality: Int = 5,
        bitReservoir: Bool = false
    ) {
        self.inputSampleRate = inputSampleRate
        self.outputSampleRate = outputSampleRate
        self.bitrate = bitrate
        self.quality = quality
        self.bitReservoir = bitReservoir
    }
}
