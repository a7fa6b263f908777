import WavecastBench

/// `section_encode_speed`: the voice file to 8 kHz mono 8 kbit/s MP3, in process (`wavecast-bench encode`), as a
/// whole process, and with ffmpeg's libmp3lame (as given, and with our settings), best of N runs each.
struct EncodeSpeedSection {
    /// The run it belongs to.
    let run: BenchRun

    /// Measures and prints the table.
    func measure() {
        let sizes = self.run.settings.sizes
        let runs = sizes.encodeRuns
        Report.step(
            "Encode speed: \(sizes.inputSeconds) s of voice to 8 kHz mono 8 kbit/s MP3, best of \(runs) runs"
        )
        var table = MarkdownTable(header: [
            "Input", "Encoder", "LAME q", "Decode ms", "Encode ms", "Total ms", "× real time", "MP3 bytes",
        ])
        for input in ["voice-8k-mono", "voice-44k-stereo"] {
            let file = self.run.path(input + ".wav")
            // Ours, in process: WAVFile.decode + MP3StreamEncoder (+ chunker), as the encoder service's play path.
            let qualities = self.run.settings.qualities.flatMap { ["--quality", "\($0)"] }
            let output = self.run.runBench(
                ["encode", file, "--sample-rate", "8000", "--bitrate", "8", "--repeat", "\(runs)"] + qualities,
                log: "encode.log",
                limit: 600
            )
            var audio = "-"
            for text in output.split(separator: "\n") {
                let line = ResultLine(String(text))
                guard line.kind == "encode" else { continue }
                audio = line["audio_s"]
                table.append([
                    input, "wavecast, in process", line["quality"], line["decode_ms"], line["encode_ms"],
                    line["total_ms"], "**\(line["xrt"])×**", line["bytes"],
                ])
            }
            // Ours, whole process (start, read, decode, encode, exit), timed like ffmpeg below.
            let wall = Self.bestWall(runs: runs, self.run.bench, ["encode", file, "--repeat", "1"])
            table.append([
                input, "wavecast-bench, whole process", "5", "", "", Self.milliseconds(wall),
                Self.realTime(audio, wall), "",
            ])
            // ffmpeg's libmp3lame: as given (LAME's default quality 3, reservoir on), then with our settings.
            for options in [[], ["-compression_level", "5", "-reservoir", "0"]] {
                let command =
                    [
                        "-hide_banner", "-nostdin", "-threads", "1", "-y", "-i", file, "-ac", "1", "-ar", "8000",
                        "-c:a", "libmp3lame", "-b:a", "8k",
                    ] + options + ["-f", "mp3"]
                let label = (["ffmpeg libmp3lame"] + options).joined(separator: " ")
                let quality = options.isEmpty ? "3" : "5"
                let wall = Self.bestWall(runs: runs, "ffmpeg", command + ["-loglevel", "error", "/dev/null"])
                table.append([
                    input, "\(label), whole process", quality, "", "", Self.milliseconds(wall),
                    Self.realTime(audio, wall), "",
                ])
                // -benchmark's rtime: the transcode alone, without process start-up (best of the runs).
                let rtime = (0..<runs).compactMap { _ in
                    self.benchmarkSeconds(command + ["-loglevel", "info", "-nostats", "-benchmark", "/dev/null"])
                }.min()
                let mp3 = self.run.path("ffmpeg.mp3")
                _ = try? ChildProcess.run(
                    "ffmpeg",
                    command + ["-loglevel", "error", mp3],
                    output: "/dev/null",
                    limit: 600
                )
                let bytes = (try? SystemIO.readFile(mp3)).map { String($0.count) } ?? "-"
                if let rtime {
                    let nanoseconds = Int64((rtime * 1e9).rounded())
                    table.append([
                        input, "\(label), transcode (-benchmark rtime)", quality, "", "",
                        Self.milliseconds(nanoseconds), Self.realTime(audio, nanoseconds), bytes,
                    ])
                }
            }
        }
        Report.table(table)
        Report.note(
            "× real time = audio seconds / wall seconds. 'In process' times WAVFile.decode and MP3StreamEncoder only;"
        )
        Report.note(
            "'whole process' includes start-up and reading the file; ffmpeg resamples with swresample before LAME,"
        )
        Report.note(
            "we hand LAME the file's own rate and LAME resamples. Our MP3 has no Xing/ID3 tag; ffmpeg's has one."
        )
    }

    /// The fastest wall-clock time of `runs` runs of the command, in nanoseconds, or `nil` if a run failed.
    static func bestWall(runs: Int, _ executable: String, _ arguments: [String]) -> Int64? {
        var best: Int64?
        for _ in 0..<runs {
            guard let elapsed = ChildProcess.timedRun(executable, arguments, limit: 600) else { return nil }
            best = min(best ?? elapsed, elapsed)
        }
        return best
    }

    /// ffmpeg's `-benchmark` `rtime=…s` (the transcode's own wall time), in seconds, or `nil`.
    private func benchmarkSeconds(_ arguments: [String]) -> Double? {
        guard let result = try? ChildProcess.run("ffmpeg", arguments, output: self.run.path("ffmpeg.log"), limit: 600)
        else { return nil }
        guard let range = result.output.firstRange(of: "rtime=") else { return nil }
        let number = result.output[range.upperBound...].prefix { $0.isNumber || $0 == "." }
        return Double(number)
    }

    /// Nanoseconds as milliseconds with one decimal, or `-`.
    static func milliseconds(_ nanoseconds: Int64?) -> String {
        nanoseconds.map { Formatting.fixed(Double($0) / 1e6, 1) } ?? "-"
    }

    /// Audio seconds ÷ wall seconds, no decimals, or `-`.
    static func realTime(_ audioSeconds: String, _ nanoseconds: Int64?) -> String {
        guard let nanoseconds, nanoseconds > 0, let audio = Double(audioSeconds) else { return "-" }
        return Formatting.fixed(audio / (Double(nanoseconds) / 1e9), 0)
    }
}
