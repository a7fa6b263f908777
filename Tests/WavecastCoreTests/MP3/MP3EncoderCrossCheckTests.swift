import Foundation
import Testing
import WavecastTestSupport

@testable import WavecastCore

/// Splits what a real encoder (ffmpeg with LAME) writes, to check the parser against more than our own frames.
struct MP3EncoderCrossCheckTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var sampleRate: Int
        var bitrate: Int
        var version: MPEGVersion
        var testDescription: String { "\(self.sampleRate) Hz \(self.bitrate) kbps" }
    }

    @Test(arguments: [
        Case(sampleRate: 8000, bitrate: 8, version: .mpeg2_5),
        Case(sampleRate: 22050, bitrate: 32, version: .mpeg2),
        Case(sampleRate: 44100, bitrate: 128, version: .mpeg1),
    ])
    func splitsFFmpegOutput(_ testCase: Case) throws {
        let file = try Self.encodeOneSecondOfSine(sampleRate: testCase.sampleRate, bitrate: testCase.bitrate)
        let format = try MP3OutputFormat(sampleRate: testCase.sampleRate, bitrate: testCase.bitrate, channels: 1)

        var splitter = MP3FrameSplitter()
        let frames = try splitter.append(file)
        try splitter.finish()

        #expect(!frames.isEmpty)
        #expect(frames.map(\.bytes.count).reduce(0, +) == file.count)
        for frame in frames {
            #expect(frame.header.version == testCase.version)
            #expect(frame.header.sampleRate == testCase.sampleRate)
            #expect(frame.header.bitrate == testCase.bitrate)
            #expect(frame.header.channelMode == .mono)
            #expect(!frame.isXingOrInfoTag)
            #expect([format.frameLength, format.frameLength + 1].contains(frame.bytes.count))
        }
        if testCase.sampleRate == 8000 {
            #expect(frames.allSatisfy { $0.bytes.count == 72 || $0.bytes.count == 73 })
        }
        // Nothing comes before the first frame, so its main data cannot reach back.
        #expect(frames.first?.isSync == true)

        // One second of input, plus LAME's encoder delay (576 + 529 samples) and at most two frames of padding.
        let totalSamples = frames.map(\.sampleCount).reduce(0, +)
        #expect(totalSamples >= testCase.sampleRate)
        #expect(totalSamples <= testCase.sampleRate + 1105 + 2 * format.samplesPerFrame)

        var byteByByte = MP3FrameSplitter()
        var pieces: [MP3Frame] = []
        for byte in file {
            pieces += try byteByByte.append(CollectionOfOne(byte))
        }
        try byteByByte.finish()
        #expect(pieces == frames)
    }

    /// Runs ffmpeg to encode one second of a 1 kHz sine as mono MP3 with no Xing/Info frame and no ID3 tag.
    static func encodeOneSecondOfSine(sampleRate: Int, bitrate: Int) throws -> [UInt8] {
        try ExternalTool.output(
            "ffmpeg",
            [
                "-hide_banner", "-nostdin", "-loglevel", "error",
                "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=\(sampleRate)", "-t", "1",
                "-ac", "1", "-ar", "\(sampleRate)", "-b:a", "\(bitrate)k",
                "-write_xing", "0", "-id3v2_version", "0", "-f", "mp3", "-",
            ]
        )
    }
}
