import WavecastBench

extension BenchRun {
    /// Makes the inputs every section uses, in the work directory: an espeak-ng voice sample repeated to the input
    /// length and normalised to -1 dBFS (so resampling never clips), as 8 kHz mono and 44.1 kHz stereo 16-bit WAVs,
    /// and `loop-8k-mono.wav`, its first 2 s, which every looping stream plays.
    ///
    /// - Throws: ``BenchError`` quoting the tool that failed.
    func makeInputs() throws(BenchError) {
        let seconds = self.settings.sizes.inputSeconds
        Report.step("Making inputs in \(self.work)")
        try self.tool(
            "espeak-ng",
            [
                "-w", self.path("voice.wav"),
                "Wavecast turns voice into MP3 and publishes whole frames in real time. "
                    + "The quick brown fox jumps over the lazy dog, and the five boxing wizards jump quickly. "
                    + "This sample is repeated until it lasts as long as the benchmark needs.",
            ]
        )
        let durationText = try self.tool("soxi", ["-D", self.path("voice.wav")])
        guard let sample = Double(durationText.split(whereSeparator: \.isWhitespace).first ?? ""), sample > 0 else {
            throw BenchError("soxi -D gave no duration for the espeak-ng sample: '\(durationText)'")
        }
        var repeats = Int(Double(seconds) / sample)
        if Double(repeats) * sample < Double(seconds) { repeats += 1 }
        try self.tool(
            "sox",
            [
                self.path("voice.wav"), self.path("long.wav"), "repeat", "\(repeats - 1)", "trim", "0", "\(seconds)",
                "norm", "-1",
            ]
        )
        try self.tool(
            "sox",
            [self.path("long.wav"), "-r", "8000", "-c", "1", "-b", "16", self.path("voice-8k-mono.wav")]
        )
        try self.tool(
            "sox",
            [self.path("long.wav"), "-r", "44100", "-c", "2", "-b", "16", self.path("voice-44k-stereo.wav")]
        )
        try self.tool("sox", [self.path("voice-8k-mono.wav"), self.path("loop-8k-mono.wav"), "trim", "0", "2"])
        self.loopWAV = try SystemIO.readFile(self.path("loop-8k-mono.wav"))
        Report.note("espeak-ng sample \(Formatting.fixed(sample, 1)) s, repeated to \(seconds) s:")
        Report.note("voice-8k-mono.wav (8 kHz mono 16-bit), voice-44k-stereo.wav (44.1 kHz stereo 16-bit);")
        Report.note("loop-8k-mono.wav (its first 2 s) is what every stream plays in a loop")
    }

    /// Runs an external tool to its end (at most 120 s) and returns what it printed.
    ///
    /// - Throws: ``BenchError`` with the end of its output if it fails.
    @discardableResult
    func tool(_ name: String, _ arguments: [String]) throws(BenchError) -> String {
        let result = try ChildProcess.run(name, arguments, output: self.path("tool.log"), limit: 120)
        guard result.status == 0 else {
            throw BenchError(
                "\(name) failed (\(result.status.map { "status \($0)" } ?? "killed after 120 s")): "
                    + String(result.output.suffix(1000))
            )
        }
        return result.output
    }
}
