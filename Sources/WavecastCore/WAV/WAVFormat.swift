/// The audio format of a WAV file: how samples are encoded, at what rate, in how many channels.
public struct WAVFormat: Sendable, Hashable {
    /// How one sample is stored in the `data` chunk.
    public enum Encoding: Sendable, Hashable, CaseIterable {
        /// 8-bit unsigned integer PCM (128 is silence).
        case unsignedPCM8
        /// 16-bit signed little-endian integer PCM.
        case signedPCM16
        /// 24-bit signed little-endian integer PCM.
        case signedPCM24
        /// 32-bit signed little-endian integer PCM.
        case signedPCM32
        /// 32-bit IEEE 754 little-endian float.
        case float32
        /// 64-bit IEEE 754 little-endian float.
        case float64
        /// 8-bit G.711 mu-law.
        case muLaw
        /// 8-bit G.711 A-law.
        case aLaw

        /// The bytes one sample of this encoding takes.
        public var bytesPerSample: Int {
            switch self {
            case .unsignedPCM8, .muLaw, .aLaw: 1
            case .signedPCM16: 2
            case .signedPCM24: 3
            case .signedPCM32, .float32: 4
            case .float64: 8
            }
        }

        /// The `wFormatTag` a plain (non-extensible) `fmt ` chunk uses for this encoding.
        public var formatTag: UInt16 {
            switch self {
            case .unsignedPCM8, .signedPCM16, .signedPCM24, .signedPCM32: 0x0001
            case .float32, .float64: 0x0003
            case .aLaw: 0x0006
            case .muLaw: 0x0007
            }
        }
    }

    /// How samples are encoded.
    public var encoding: Encoding
    /// Sample frames per second, in Hz.
    public var sampleRate: Int
    /// Samples per frame (1 to 8).
    public var channels: Int
    /// Bytes per sample frame: `channels × bytesPerSample`.
    public var blockAlign: Int
    /// Bytes per sample (the container size, `wBitsPerSample / 8`).
    public var bytesPerSample: Int

    /// Creates a format; `blockAlign` and `bytesPerSample` follow from the encoding and channel count.
    ///
    /// - Parameters:
    ///   - encoding: How samples are encoded.
    ///   - sampleRate: Sample frames per second, in Hz.
    ///   - channels: Samples per frame.
    public init(encoding: Encoding, sampleRate: Int, channels: Int) {
        self.encoding = encoding
        self.sampleRate = sampleRate
        self.channels = channels
        self.bytesPerSample = encoding.bytesPerSample
        self.blockAlign = channels * encoding.bytesPerSample
    }

    /// Bits per sample, as written in `wBitsPerSample`.
    public var bitsPerSample: Int { self.bytesPerSample * 8 }

    /// Bytes of audio per second: `sampleRate × blockAlign`.
    public var bytesPerSecond: Int { self.sampleRate * self.blockAlign }

    /// The sample rates this reader accepts, in Hz.
    public static let supportedSampleRates: ClosedRange<Int> = 8000...192_000

    /// The largest channel count this reader accepts.
    public static let maximumChannels = 8
}
