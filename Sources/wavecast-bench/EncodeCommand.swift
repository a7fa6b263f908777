import ArgumentParser
import MP3Encoding
import WavecastBench
import WavecastCore

/// `wavecast-bench encode`: how fast a WAV file is decoded and encoded the way the encoder service does it.
///
/// The service's `play` path is `WAVFile.decode` (down-mix to mono, as float) followed by one
/// ``MP3StreamEncoder`` fed all the samples at once, `finish()`, and an ``MP3Chunker``; this command does
/// exactly that, best of `--repeat` runs, for each `--quality` asked for.
struct EncodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "Time WAV decoding and MP3 encoding of FILE as the encoder service does it (best of N runs)."
    )

    @Argument(help: "The WAV file to decode and encode.")
    var file: String

    @Option(help: "MP3 sample rate in Hz.")
    var sampleRate = 8000

    @Option(help: "MP3 bitrate in kbit/s.")
    var bitrate = 8

    @Option(help: "LAME quality, 0 (best) to 9 (fastest); repeat the option to compare several.")
    var quality: [Int] = [5]

    @Option(name: .customLong("repeat"), help: "Runs per quality; the fastest is reported.")
    var runs = 5

    @Option(help: "Whole MP3 frames per chunk, as the service's --chunk-frames.")
    var chunkFrames = 1

    @Flag(help: "Use LAME's bit reservoir (the service's default is off).")
    var bitReservoir = false

    func validate() throws {
        guard (1...1000).contains(self.runs) else {
            throw ValidationError("--repeat must be between 1 and 1000, not \(self.runs)")
        }
        guard self.quality.allSatisfy({ (0...9).contains($0) }) else {
            throw ValidationError("--quality must be between 0 and 9")
        }
        guard (1...1000).contains(self.chunkFrames) else {
            throw ValidationError("--chunk-frames must be between 1 and 1000, not \(self.chunkFrames)")
        }
    }

    func run() throws {
        let bytes = try SystemIO.readFile(self.file)
        for quality in self.quality {
            let configuration = LAMEConfiguration(
                outputSampleRate: self.sampleRate,
                bitrate: self.bitrate,
                quality: quality,
                bitReservoir: self.bitReservoir
            )
            var best: EncodeRun?
            for _ in 0..<self.runs {
                let run = try self.measure(bytes, configuration: configuration)
                if best.map({ run.totalNanoseconds < $0.totalNanoseconds }) ?? true {
                    best = run
                }
            }
            if let best {
                print(best.resultLine(file: self.file, quality: quality, runs: self.runs))
            }
        }
    }

    /// Decodes and encodes `bytes` once, timing each stage.
    ///
    /// - Parameters:
    ///   - bytes: The whole WAV file.
    ///   - configuration: The LAME settings; its input rate is replaced by the file's.
    /// - Returns: The times and the output size.
    /// - Throws: The WAV or LAME error, as a ``BenchError``.
    private func measure(_ bytes: [UInt8], configuration: LAMEConfiguration) throws -> EncodeRun {
        let start = SystemIO.monotonicNanoseconds()
        let decoded: DecodedWAV
        do {
            decoded = try WAVFile.decode(bytes)
        } catch {
            throw BenchError("\(self.file) is not a WAV file the encoder accepts: \(error)")
        }
        let decodedAt = SystemIO.monotonicNanoseconds()
        var configuration = configuration
        configuration.inputSampleRate = decoded.format.sampleRate
        var chunker = MP3Chunker(framesPerChunk: self.chunkFrames)
        var chunks: [MP3Chunk] = []
        var frameCount = 0
        do {
            let encoder = try MP3StreamEncoder(configuration: configuration)
            let frames = try encoder.encode(decoded.samples) + encoder.finish()
            frameCount = frames.count
            for frame in frames {
                if let chunk = chunker.append(frame) { chunks.append(chunk) }
            }
            if let chunk = chunker.flush() { chunks.append(chunk) }
        } catch {
            throw BenchError("LAME failed on \(self.file): \(error)")
        }
        let encodedAt = SystemIO.monotonicNanoseconds()
        return EncodeRun(
            format: decoded.format,
            audioSeconds: Double(decoded.frameCount) / Double(decoded.format.sampleRate),
            decodeNanoseconds: decodedAt - start,
            encodeNanoseconds: encodedAt - decodedAt,
            outputBytes: chunks.reduce(0) { $0 + $1.bytes.count },
            frames: frameCount,
            chunks: chunks.count
        )
    }
}

/// One timed decode and encode of a file.
struct EncodeRun {
    /// The WAV file's format.
    var format: WAVFormat
    /// The audio's length in seconds.
    var audioSeconds: Double
    /// Time spent in `WAVFile.decode`.
    var decodeNanoseconds: Int64
    /// Time spent in LAME, the frame splitter and the chunker.
    var encodeNanoseconds: Int64
    /// MP3 bytes produced.
    var outputBytes: Int
    /// MP3 frames produced.
    var frames: Int
    /// Chunks produced.
    var chunks: Int

    /// Decode and encode together.
    var totalNanoseconds: Int64 { self.decodeNanoseconds + self.encodeNanoseconds }

    /// Audio seconds per wall-clock second, decode and encode together.
    var realTimeFactor: Double { self.audioSeconds / (Double(self.totalNanoseconds) / 1e9) }

    /// The result as one `key=value` line that scripts/bench parses.
    ///
    /// - Parameters:
    ///   - file: The input's path.
    ///   - quality: The LAME quality used.
    ///   - runs: How many runs this was the best of.
    /// - Returns: The line, starting with `encode`.
    func resultLine(file: String, quality: Int, runs: Int) -> String {
        let fields: [(String, String)] = [
            ("file", file.split(separator: "/").last.map(String.init) ?? file),
            ("input", "\(self.format.sampleRate)Hz/\(self.format.channels)ch/\(self.format.bitsPerSample)bit"),
            ("quality", "\(quality)"),
            ("audio_s", Self.fixed(self.audioSeconds, 2)),
            ("decode_ms", Self.fixed(Double(self.decodeNanoseconds) / 1e6, 2)),
            ("encode_ms", Self.fixed(Double(self.encodeNanoseconds) / 1e6, 2)),
            ("total_ms", Self.fixed(Double(self.totalNanoseconds) / 1e6, 2)),
            ("xrt", Self.fixed(self.realTimeFactor, 0)),
            ("bytes", "\(self.outputBytes)"),
            ("frames", "\(self.frames)"),
            ("chunks", "\(self.chunks)"),
            ("runs", "\(runs)"),
        ]
        return "encode " + fields.map { "\($0.0)=\($0.1)" }.joined(separator: " ")
    }

    /// `value` with `digits` decimals (``Formatting/fixed(_:_:)``, kept here for the subcommands that call it).
    static func fixed(_ value: Double, _ digits: Int) -> String {
        Formatting.fixed(value, digits)
    }
}
