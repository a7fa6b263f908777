import Testing
import WavecastCore

/// Decoding must run at many thousands × real time; these tests measure it and fail far below that.
struct WAVDecodeSpeedTests {
    struct SpeedCase: Sendable, CustomTestStringConvertible {
        var encoding: WAVFormat.Encoding
        var sampleRate: Int
        var channels: Int
        var layout: WAVChannelLayout

        var testDescription: String { "\(self.encoding) \(self.sampleRate) Hz × \(self.channels), \(self.layout)" }
    }

    static let cases: [SpeedCase] = [
        .init(encoding: .signedPCM16, sampleRate: 8000, channels: 1, layout: .downmixToMono),
        .init(encoding: .signedPCM16, sampleRate: 44100, channels: 2, layout: .downmixToMono),
        .init(encoding: .signedPCM16, sampleRate: 44100, channels: 2, layout: .interleaved),
        .init(encoding: .muLaw, sampleRate: 8000, channels: 1, layout: .downmixToMono),
        .init(encoding: .signedPCM24, sampleRate: 48000, channels: 2, layout: .downmixToMono),
        .init(encoding: .float32, sampleRate: 48000, channels: 2, layout: .interleaved),
    ]

    /// The lowest acceptable speed: thousands × real time in release builds (measured: 25,000–1,800,000 ×).
    /// Debug builds are unoptimised and share the CPU with parallel tests, so they only guard against a collapse.
    #if DEBUG
    static let minimumTimesRealTime = 50.0
    #else
    static let minimumTimesRealTime = 5000.0
    #endif

    @Test(arguments: Self.cases)
    func decodesManyTimesFasterThanRealTime(speedCase: SpeedCase) throws {
        let seconds = 60
        let format = WAVFormat(
            encoding: speedCase.encoding,
            sampleRate: speedCase.sampleRate,
            channels: speedCase.channels
        )
        let data = [UInt8](repeating: 0x5A, count: seconds * format.bytesPerSecond)
        let bytes = WAVBuilder(format: format).build(data: data)
        let clock = ContinuousClock()
        var best = Duration.seconds(1000)
        var frames = 0
        for _ in 0..<3 {
            let elapsed = try clock.measure {
                // 64 KiB pieces, as a socket would deliver them.
                var decoder = WAVStreamDecoder(layout: speedCase.layout)
                var total = 0
                var index = 0
                while index < bytes.count {
                    let end = min(bytes.count, index + 65536)
                    total += try bytes[index..<end].withUnsafeBytes { try decoder.decode($0) }.count
                    index = end
                }
                _ = try decoder.finish()
                frames = decoder.frameCount
                #expect(total == frames * (speedCase.layout == .interleaved ? format.channels : 1))
            }
            best = min(best, elapsed)
        }
        #expect(frames == seconds * format.sampleRate)
        let elapsedSeconds = Double(best.components.seconds) + Double(best.components.attoseconds) / 1e18
        let timesRealTime = Double(seconds) / elapsedSeconds
        print("WAV decode \(speedCase.testDescription): \(Int(timesRealTime)) × real time")
        #expect(timesRealTime >= Self.minimumTimesRealTime)
    }
}
