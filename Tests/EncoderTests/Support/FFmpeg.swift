import Foundation

/// Decodes MP3 with the `ffmpeg` command-line tool, an independent decoder to check the encoder's output against.
enum FFmpeg {
    /// The `ffmpeg` executable on `PATH`.
    static func executable() throws -> URL {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent("ffmpeg")
            if FileManager.default.isExecutableFile(atPath: candidate.path) {
                return candidate
            }
        }
        throw HarnessError(
            "ffmpeg is not on PATH (\(path)); these tests decode the encoder's MP3 with it: install it "
                + "(apt-get install ffmpeg) and run them again"
        )
    }

    /// Writes `mp3` to a file in `directory`, decodes it, and returns its samples (mono s16, at the MP3's rate).
    static func decode(mp3: [UInt8], in directory: URL, name: String) async throws -> [Int16] {
        let input = directory.appendingPathComponent("\(name).mp3")
        let output = directory.appendingPathComponent("\(name).raw")
        try Data(mp3).write(to: input)
        let executable = try Self.executable()
        let process = Process()
        process.executableURL = executable
        process.arguments = [
            "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-f", "mp3", "-i", input.path,
            "-f", "s16le", "-acodec", "pcm_s16le", "-ac", "1", output.path,
        ]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard status == 0 else {
            throw HarnessError("ffmpeg failed with status \(status) decoding \(input.path): \(message)")
        }
        let bytes = try Data(contentsOf: output)
        return stride(from: 0, to: bytes.count - 1, by: 2).map {
            Int16(bitPattern: UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8)
        }
    }

    /// A fresh temporary directory, removed by the caller.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("wavecast-encoder-tests-\(UUID())")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
