import Foundation
import Testing
import WavecastCore
import WavecastTestSupport

/// Decodes files written by real tools (sox, ffmpeg). A missing tool fails the test with a message saying so.
struct WAVToolCrossCheckTests {
    /// A file a tool writes, and what the reader must find in it.
    struct ToolCase: Sendable, CustomTestStringConvertible {
        var tool: String
        var arguments: [String]
        var encoding: WAVFormat.Encoding
        var sampleRate: Int
        var channels: Int
        var frames: Int

        var testDescription: String { "\(self.tool) \(self.arguments.joined(separator: " "))" }
    }

    static func sox(_ options: [String], seconds: String = "0.1") -> [String] {
        ["-n"] + options + ["OUT", "synth", seconds, "sine", "1000"]
    }

    static func ffmpeg(codec: String, rate: Int, channels: Int) -> [String] {
        [
            "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "sine=f=440:d=0.25:r=\(rate)",
            "-ac", "\(channels)", "-c:a", codec, "OUT",
        ]
    }

    static let cases: [ToolCase] = [
        .init(
            tool: "sox",
            arguments: Self.sox(["-r", "8000", "-c", "1", "-e", "mu-law"]),
            encoding: .muLaw,
            sampleRate: 8000,
            channels: 1,
            frames: 800
        ),
        .init(
            tool: "sox",
            arguments: Self.sox(["-r", "8000", "-c", "1", "-e", "a-law"]),
            encoding: .aLaw,
            sampleRate: 8000,
            channels: 1,
            frames: 800
        ),
        .init(
            tool: "sox",
            arguments: Self.sox(["-r", "11025", "-c", "1", "-e", "unsigned", "-b", "8"]),
            encoding: .unsignedPCM8,
            sampleRate: 11025,
            channels: 1,
            frames: 1103
        ),
        .init(
            tool: "sox",
            arguments: Self.sox(["-r", "44100", "-c", "2", "-b", "24"], seconds: "0.25"),
            encoding: .signedPCM24,
            sampleRate: 44100,
            channels: 2,
            frames: 11025
        ),
        .init(
            tool: "sox",
            arguments: Self.sox(["-r", "48000", "-c", "2", "-e", "floating-point", "-b", "32"]),
            encoding: .float32,
            sampleRate: 48000,
            channels: 2,
            frames: 4800
        ),
        .init(
            tool: "sox",
            arguments: Self.sox(["-r", "192000", "-c", "3", "-b", "16"]),
            encoding: .signedPCM16,
            sampleRate: 192_000,
            channels: 3,
            frames: 19200
        ),
        .init(
            tool: "ffmpeg",
            arguments: Self.ffmpeg(codec: "pcm_s16le", rate: 48000, channels: 6),
            encoding: .signedPCM16,
            sampleRate: 48000,
            channels: 6,
            frames: 12000
        ),
        .init(
            tool: "ffmpeg",
            arguments: Self.ffmpeg(codec: "pcm_s32le", rate: 96000, channels: 2),
            encoding: .signedPCM32,
            sampleRate: 96000,
            channels: 2,
            frames: 24000
        ),
        .init(
            tool: "ffmpeg",
            arguments: Self.ffmpeg(codec: "pcm_f64le", rate: 22050, channels: 8),
            encoding: .float64,
            sampleRate: 22050,
            channels: 8,
            frames: 5513
        ),
        .init(
            tool: "ffmpeg",
            arguments: Self.ffmpeg(codec: "pcm_mulaw", rate: 16000, channels: 4),
            encoding: .muLaw,
            sampleRate: 16000,
            channels: 4,
            frames: 4000
        ),
        .init(
            tool: "ffmpeg",
            arguments: Self.ffmpeg(codec: "pcm_alaw", rate: 8000, channels: 1),
            encoding: .aLaw,
            sampleRate: 8000,
            channels: 1,
            frames: 2000
        ),
        .init(
            tool: "ffmpeg",
            arguments: Self.ffmpeg(codec: "pcm_u8", rate: 8000, channels: 2),
            encoding: .unsignedPCM8,
            sampleRate: 8000,
            channels: 2,
            frames: 2000
        ),
    ]

    @Test(arguments: Self.cases)
    func decodesFilesWrittenByRealTools(toolCase: ToolCase) throws {
        let directory = try ScratchDirectory()
        let output = directory.path("out.wav")
        try ExternalTool.output(toolCase.tool, toolCase.arguments.map { $0 == "OUT" ? output : $0 })
        let bytes = try directory.read("out.wav")
        let decoded = try WAVFile.decode(bytes, layout: .interleaved)
        #expect(decoded.format.encoding == toolCase.encoding)
        #expect(decoded.format.sampleRate == toolCase.sampleRate)
        #expect(decoded.format.channels == toolCase.channels)
        #expect(decoded.frameCount == toolCase.frames)
        #expect(decoded.warnings.isEmpty)
        #expect(decoded.samples.contains { abs($0) > 0.05 }, "the sine is audible")
        #expect(try decodeInPieces(bytes, pieceSizes: [1, 7, 300], layout: .interleaved).samples == decoded.samples)
    }

    @Test(arguments: ["mu-law", "a-law"])
    func g711DecodingMatchesSoxExactly(encoding: String) throws {
        let directory = try ScratchDirectory()
        let companded = directory.path("g711.wav")
        let linear = directory.path("linear.wav")
        try ExternalTool.output(
            "sox",
            ["-n", "-r", "8000", "-c", "1", "-e", encoding, companded, "synth", "0.5", "sine", "300-3000"]
        )
        try ExternalTool.output("sox", [companded, "-e", "signed", "-b", "16", linear])
        let ours = try WAVFile.decode(try directory.read("g711.wav"))
        let sox = try WAVFile.decode(try directory.read("linear.wav"))
        #expect(ours.format.encoding == (encoding == "mu-law" ? .muLaw : .aLaw))
        #expect(sox.format.encoding == .signedPCM16)
        #expect(ours.samples.count == 4000)
        #expect(ours.samples == sox.samples)
    }

    @Test(arguments: [
        ["-e", "floating-point", "-b", "32"], ["-e", "floating-point", "-b", "64"], ["-b", "24"], ["-b", "32"],
        ["-e", "unsigned", "-b", "8"],
    ])
    func sampleScalingMatchesSox(options: [String]) throws {
        let directory = try ScratchDirectory()
        let source = directory.path("in.wav")
        let converted = directory.path("out.wav")
        let format = WAVFormat(encoding: .signedPCM16, sampleRate: 8000, channels: 2)
        let original = WAVFile.encode(testSignal(frames: 2000, channels: 2), format: format)
        try Data(original).write(to: URL(fileURLWithPath: source))
        try ExternalTool.output("sox", ["-D", source] + options + [converted])
        let expected = try WAVFile.decode(original, layout: .interleaved)
        let decoded = try WAVFile.decode(try directory.read("out.wav"), layout: .interleaved)
        #expect(decoded.format.channels == 2)
        #expect(decoded.frameCount == 2000)
        expectClose(decoded.samples, expected.samples, tolerance: options.contains("8") ? 1 / 128 : 1e-6)
    }

    @Test func ffmpegPipedOutputWithUnknownSizesAndListChunkReadsToTheEnd() throws {
        let bytes = try ExternalTool.output(
            "ffmpeg",
            [
                "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "sine=f=440:d=0.5:r=8000", "-c:a",
                "pcm_s16le",
                "-f", "wav", "pipe:1",
            ]
        )
        #expect(bytes.firstRange(of: Array("LIST".utf8)) != nil, "ffmpeg writes a LIST chunk")
        let dataIndex = try #require(bytes.firstRange(of: Array("data".utf8))).lowerBound
        #expect(Array(bytes[(dataIndex + 4)..<(dataIndex + 8)]) == [0xFF, 0xFF, 0xFF, 0xFF], "piped: size unknown")
        let decoded = try WAVFile.decode(bytes)
        #expect(decoded.format == WAVFormat(encoding: .signedPCM16, sampleRate: 8000, channels: 1))
        #expect(decoded.frameCount == 4000)
        #expect(decoded.warnings.isEmpty)
        #expect(try decodeInPieces(bytes, pieceSizes: [1]).samples == decoded.samples)
    }

    @Test func anMP3WrittenByFFmpegIsReportedAsMP3() throws {
        let directory = try ScratchDirectory()
        let output = directory.path("out.mp3")
        try ExternalTool.output(
            "ffmpeg",
            [
                "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "sine=d=0.5:r=8000", "-c:a",
                "libmp3lame",
                "-b:a", "8k", output,
            ]
        )
        let bytes = try directory.read("out.mp3")
        let error = decodeError(bytes)
        #expect(error?.code == .looksLikeMP3)
        #expect(error?.description.contains("MP3") == true)

        try ExternalTool.output(
            "ffmpeg",
            [
                "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "sine=d=0.5:r=8000", "-c:a",
                "libmp3lame",
                "-b:a", "8k", "-write_xing", "0", "-id3v2_version", "0", output,
            ]
        )
        let bare = try directory.read("out.mp3")
        #expect(bare[0] == 0xFF && bare[1] & 0xE0 == 0xE0, "starts with a frame sync")
        #expect(decodeError(bare)?.code == .looksLikeMP3)
    }
}
