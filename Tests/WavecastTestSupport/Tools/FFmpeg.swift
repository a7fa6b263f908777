import Foundation

/// ffmpeg and ffprobe: an independent MP3 decoder and encoder to check ours against.
public enum FFmpeg {
    /// Decodes `mp3` to mono signed 16-bit samples, at the MP3's own rate or resampled to `sampleRate`.
    public static func decode(mp3: [UInt8], sampleRate: Int? = nil) throws -> [Int16] {
        let scratch = try ScratchDirectory()
        let input = try scratch.write("in.mp3", mp3)
        let rate = sampleRate.map { ["-ar", "\($0)"] } ?? []
        let pcm = try ExternalTool.output(
            "ffmpeg",
            ["-hide_banner", "-nostdin", "-loglevel", "error", "-f", "mp3", "-i", input, "-f", "s16le", "-ac", "1"]
                + rate + ["-"]
        )
        return stride(from: 0, to: pcm.count - 1, by: 2).map {
            Int16(bitPattern: UInt16(pcm[$0]) | UInt16(pcm[$0 + 1]) << 8)
        }
    }

    /// ``decode(mp3:sampleRate:)`` as floats in -1...1.
    public static func decodeToFloats(mp3: [UInt8], sampleRate: Int? = nil) throws -> [Float] {
        try Self.decode(mp3: mp3, sampleRate: sampleRate).map { Float($0) / 32768 }
    }

    /// ``decode(mp3:sampleRate:)`` off the Swift concurrency threads.
    public static func decode(mp3: [UInt8], sampleRate: Int? = nil) async throws -> [Int16] {
        try await blocking { try Self.decode(mp3: mp3, sampleRate: sampleRate) }
    }

    /// The duration of an audio file as ffprobe reports it, in seconds.
    public static func duration(of path: String) throws -> Double {
        let text = String(
            decoding: try ExternalTool.output(
                "ffprobe",
                ["-v", "error", "-show_entries", "format=duration", "-of", "default=nw=1:nk=1", path]
            ),
            as: UTF8.self
        )
        guard let seconds = Double(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw HarnessError("ffprobe gave no duration for \(path): \(text)")
        }
        return seconds
    }
}
