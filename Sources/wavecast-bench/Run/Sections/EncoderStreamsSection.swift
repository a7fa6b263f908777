import WavecastBench

/// `section_encoder_streams`: N looping 2 s WAVs on a fresh encoder each, measured on the bus by
/// `wavecast-bench streams`; reports the largest N whose publication p99 is within the goal.
struct EncoderStreamsSection {
    /// The run it belongs to.
    let run: BenchRun

    /// Measures and prints the table.
    func measure() {
        let sizes = self.run.settings.sizes
        let goal = self.run.settings.latenessGoalMilliseconds
        Report.step("Concurrent real-time streams: N looping 2 s WAVs, measured for \(sizes.streamSeconds) s each")
        var table = MarkdownTable(header: [
            "Streams", "Playing", "Chunks received / expected", "Missing (seq gaps)",
            "Arrival lateness p50 / p99 / max ms", "Publication lateness p99 (bucket) ms", "Encoder CPU %",
            "Encoder RSS MiB", "Bench CPU %", "Set-up s",
        ])
        var best = "none"
        for count in sizes.streamCounts {
            guard let encoder = self.run.startEncoder(maxStreams: count + 100) else {
                table.append(["\(count)", "encoder did not start"])
                continue
            }
            let output = self.run.runBench(
                [
                    "streams", "--encoder", encoder.ingest, "--bus", encoder.bus, "--http", encoder.http,
                    "--encoder-pid", "\(encoder.process.pid)", "--wav", self.run.path("loop-8k-mono.wav"),
                    "--streams", "\(count)", "--seconds", "\(sizes.streamSeconds)",
                ],
                log: "streams.log",
                limit: Double(sizes.streamSeconds + 2 * 120 + 30)
            )
            encoder.stop()
            // The subcommand's readable report, then its result line into the table.
            for text in output.split(separator: "\n") where !text.hasPrefix("streams ") { Report.line(text) }
            guard let line = ResultLine.last(ofKind: "streams", in: output) else {
                table.append(["\(count)", "run failed (see above)"])
                continue
            }
            let publication = line["pub_p99_le_ms"]
            table.append([
                "\(count)", line["plays_ok"], "\(line["received"]) / \(line["expected"])", line["missing"],
                "\(line["late_p50_ms"]) / \(line["late_p99_ms"]) / \(line["late_max_ms"])", "≤ \(publication)",
                line["cpu_pct"], line["rss_mib"], line["bench_cpu_pct"], line["setup_s"],
            ])
            if let milliseconds = Double(publication), milliseconds <= goal { best = "\(count)" }
        }
        Report.table(table)
        Report.note(
            "Largest N tried with the encoder's publication lateness p99 within \(Formatting.fixed(goal, 0)) ms: \(best)"
        )
        Report.note(
            "Arrival lateness: on the bench's SUB socket, against each stream's first arrival + media timestamp."
        )
        Report.note(
            "Publication lateness: the encoder's own histogram over the window (p99 shown as its bucket's bound)."
        )
        Report.note("CPU: each process's utime+stime over the window (/proc/PID/stat), % of one core.")
        Report.note("The bench (one thread receiving every chunk) and the encoder share the machine's cores.")
    }
}
