/// A whole WAV file decoded to Float samples.
public struct DecodedWAV: Sendable {
    /// The format read from the `fmt ` chunk.
    public var format: WAVFormat
    /// How ``samples`` are arranged.
    public var layout: WAVChannelLayout
    /// The samples in -1...1: one per frame when down-mixed, `format.channels` per frame when interleaved.
    public var samples: [Float]
    /// Problems the decoder worked around, such as a truncated `data` chunk.
    public var warnings: [WAVWarning]

    /// Creates a decoded file from its parts.
    public init(format: WAVFormat, layout: WAVChannelLayout, samples: [Float], warnings: [WAVWarning]) {
        self.format = format
        self.layout = layout
        self.samples = samples
        self.warnings = warnings
    }

    /// The number of sample frames.
    public var frameCount: Int {
        self.layout == .interleaved ? self.samples.count / max(1, self.format.channels) : self.samples.count
    }

    /// How long the audio plays: ``frameCount`` / sample rate.
    public var duration: Duration {
        let rate = max(1, self.format.sampleRate)
        let frames = self.frameCount
        return .seconds(frames / rate) + .nanoseconds(Int64(frames % rate) * 1_000_000_000 / Int64(rate))
    }
}
