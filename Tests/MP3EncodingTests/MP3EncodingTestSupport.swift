import Foundation
import MP3Encoding
import WavecastCore

/// Signals, the encoder driven end to end, and ffmpeg as the reference decoder.
enum MP3EncodingTestSupport {
    /// A deterministic generator (SplitMix64), so every run encodes the same "random" audio.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64

        mutating func next() -> UInt64 {
            self.state &+= 0x9E37_79B9_7F4A_7C15
            var z = self.state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// A sine of `frequency` Hz and the given amplitude, `count` samples at `sampleRate`.
    static func sine(frequency: Double, sampleRate: Int, count: Int, amplitude: Double = 0.5) -> [Float] {
        (0..<count).map { Float(amplitude * sin(2 * Double.pi * frequency * Double($0) / Double(sampleRate))) }
    }

    /// A linear chirp from 200 Hz rising 1400 Hz per second: never periodic, so cross-correlation finds one lag.
    static func chirp(sampleRate: Int, count: Int, amplitude: Double = 0.5) -> [Float] {
        (0..<count).map { index in
            let time = Double(index) / Double(sampleRate)
            return Float(amplitude * sin(2 * Double.pi * (200 * time + 700 * time * time)))
        }
    }

    /// White noise whose loudness rises and falls four times a second, like syllables, so some frames need
    /// more bits than others.
    static func speechLikeNoise(sampleRate: Int, count: Int, seed: UInt64 = 1) -> [Float] {
        var generator = SeededGenerator(state: seed)
        return (0..<count).map { index in
            let time = Double(index) / Double(sampleRate)
            let envelope = 0.05 + 0.6 * pow(max(0, sin(2 * Double.pi * 4 * time)), 2)
            return Float(envelope * Double.random(in: -1...1, using: &generator))
        }
    }

    /// Encodes `samples` in one call, then flushes.
    static func encode(_ samples: [Float], configuration: LAMEConfiguration) throws -> [MP3Frame] {
        let encoder = try MP3StreamEncoder(configuration: configuration)
        return try encoder.encode(samples) + encoder.finish()
    }

    /// The frame count LAME 3.100 produces for `count` output-rate samples with reservoir off or on.
    ///
    /// It emits its 576-sample encoder delay first and, on flush, at least 576 more samples of padding, rounded up to
    /// whole frames: `ceil((count + 1152) / samplesPerFrame)` (measured for MPEG-2.5; MPEG-1 and 2 agree).
    static func expectedFrameCount(outputSamples count: Int, samplesPerFrame: Int) -> Int {
        (count + 1152 + samplesPerFrame - 1) / samplesPerFrame
    }

    /// Why a test that needs a real tool could not run it.
    struct ToolError: Error, CustomStringConvertible {
        var description: String
    }

    /// The first executable called `name` on PATH.
    static func findExecutable(_ name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").map { URL(fileURLWithPath: String($0)).appendingPathComponent(name) }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    /// Writes `frames` to a temporary .mp3 and decodes it with ffmpeg to mono 16-bit PCM at `sampleRate`, as floats.
    ///
    /// - Throws: ``ToolError`` if ffmpeg is not installed (these tests need it and never skip) or fails.
    static func decodeWithFFmpeg(_ frames: [MP3Frame], sampleRate: Int = 8000) throws -> [Float] {
        guard let ffmpeg = Self.findExecutable("ffmpeg") else {
            throw ToolError(
                description: "ffmpeg is not on PATH: install it (e.g. `apt-get install ffmpeg`); "
                    + "the MP3 encoder tests decode their output with it and cannot run without it"
            )
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wavecast-enc-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("x.mp3")
        try Data(frames.flatMap(\.bytes)).write(to: file)

        let process = Process()
        process.executableURL = ffmpeg
        process.arguments = [
            "-hide_banner", "-nostdin", "-loglevel", "error", "-i", file.path,
            "-f", "s16le", "-ac", "1", "-ar", "\(sampleRate)", "-",
        ]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let pcm = output.fileHandleForReading.readDataToEndOfFile()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ToolError(
                description: "ffmpeg failed to decode our MP3 (status \(process.terminationStatus)): "
                    + String(decoding: message, as: UTF8.self)
            )
        }
        return stride(from: 0, to: pcm.count - 1, by: 2).map { offset in
            Float(Int16(bitPattern: UInt16(pcm[offset]) | UInt16(pcm[offset + 1]) << 8)) / 32768
        }
    }

    /// The frequency of the tone in `samples`, from the first and last upward zero crossings, interpolated.
    static func toneFrequency(_ samples: ArraySlice<Float>, sampleRate: Int) -> Double? {
        var crossings: [Double] = []
        var index = samples.startIndex
        while index + 1 < samples.endIndex {
            let (a, b) = (samples[index], samples[index + 1])
            if a < 0 && b >= 0 {
                crossings.append(Double(index) + Double(-a / (b - a)))
            }
            index += 1
        }
        guard let first = crossings.first, let last = crossings.last, crossings.count > 10 else {
            return nil
        }
        return Double(crossings.count - 1) * Double(sampleRate) / (last - first)
    }

    /// The lag (in samples, 0...`maxLag`) at which `decoded` best matches `input`, by normalised cross-correlation.
    static func bestLag(of input: [Float], in decoded: [Float], maxLag: Int) -> (lag: Int, correlation: Double) {
        var best = (lag: 0, correlation: -Double.infinity)
        for lag in 0...maxLag {
            let count = min(input.count, decoded.count - lag)
            guard count > 0 else { break }
            var dot = 0.0
            var inputEnergy = 0.0
            var decodedEnergy = 0.0
            for index in 0..<count {
                let (x, y) = (Double(input[index]), Double(decoded[index + lag]))
                dot += x * y
                inputEnergy += x * x
                decodedEnergy += y * y
            }
            let correlation = dot / max((inputEnergy * decodedEnergy).squareRoot(), .leastNormalMagnitude)
            if correlation > best.correlation {
                best = (lag, correlation)
            }
        }
        return best
    }
}
