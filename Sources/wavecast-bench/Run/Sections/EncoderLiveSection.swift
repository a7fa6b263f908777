import WavecastBench

/// `section_encoder_live`: N live streams fed one 20 ms piece each every 20 ms (`wavecast-bench live`), with a
/// reply per `pcm` and with error replies only, by a feeder that sends each piece when it falls due and by one that
/// sends in 1 ms rounds; the encoder's CPU per request and per second of audio.
struct EncoderLiveSection {
    /// The run it belongs to.
    let run: BenchRun

    /// Measures and prints the table.
    func measure() {
        let sizes = self.run.settings.sizes
        Report.step(
            "Live PCM at telephony cadence: N live streams, one 20 ms piece each every 20 ms, "
                + "\(sizes.streamSeconds) s each"
        )
        var table = MarkdownTable(header: [
            "Streams", "pcm replies", "Feeder sends", "Requests / s", "Errors", "Publication p99 ≤ ms",
            "Encoded, % of real time", "Encoder CPU %", "Feeder CPU %", "CPU µs / request",
            "CPU ms per s of audio: live / file",
        ])
        let feeders = [(roundMicroseconds: 0, name: "each piece when due"), (1000, "in 1 ms rounds")]
        for count in sizes.liveStreams {
            for (roundMicroseconds, feeder) in feeders {
                for replies in ["all", "errors"] {
                    self.measure(
                        streams: count,
                        replies: replies,
                        roundMicroseconds: roundMicroseconds,
                        feeder: feeder,
                        into: &table
                    )
                }
            }
        }
        Report.table(table)
        Report.note(
            "The feeder (wavecast-bench live, one thread, 4 pipelined DEALERs) sends each stream one 20 ms piece of"
        )
        Report.note(
            "8 kHz s16le every 20 ms on absolute deadlines, streams spread over the interval: each piece when it falls"
        )
        Report.note(
            "due, or every piece due in 1 ms rounds (--round-us 1000). 'errors': the streams were opened with"
        )
        Report.note(
            "\"replies\": \"errors\". File: the same number of streams each playing a 10 s WAV, the encoder's CPU from"
        )
        Report.note("the plays until all have played out, per second of audio.")
        Report.note(
            "Encoded: seconds of audio LAME encoded in the window against seconds fed. Below 100 the encoder fell"
        )
        Report.note(
            "behind real time: its CPU per second of audio then counts audio not encoded yet, and publication"
        )
        Report.note("lateness does not show it (a live stream that runs dry starts again from now).")
    }

    /// One row: a fresh encoder, `streams` live streams fed for the run's stream length.
    private func measure(
        streams count: Int,
        replies: String,
        roundMicroseconds: Int,
        feeder: String,
        into table: inout MarkdownTable
    ) {
        let sizes = self.run.settings.sizes
        guard let encoder = self.run.startEncoder(maxStreams: count + 100) else {
            table.append(["\(count)", replies, feeder, "encoder did not start"])
            return
        }
        self.run.waitForQuiet()
        let output = self.run.runBench(
            [
                "live", "--encoder", encoder.ingest, "--http", encoder.http, "--streams", "\(count)",
                "--piece-ms", "20", "--seconds", "\(sizes.streamSeconds)", "--replies", replies,
                "--round-us", "\(roundMicroseconds)", "--encoder-pid", "\(encoder.process.pid)",
            ],
            log: "live.log",
            limit: Double(sizes.streamSeconds + 240)
        )
        encoder.stop()
        let last = output.split(separator: "\n").last.map(String.init) ?? ""
        let line = ResultLine(last)
        guard line.kind == "live" else {
            table.append(["\(count)", replies, feeder, "failed: \(last.prefix(80))"])
            return
        }
        table.append([
            "\(count)", replies, feeder, line["requests_per_s"], line["errors"], "**\(line["pub_p99_le_ms"])**",
            line["encoded_pct"], line["cpu_pct"], line["feeder_cpu_pct"], "**\(line["us_per_request"])**",
            "\(line["ms_per_audio_s"]) / \(line["file_ms_per_audio_s"])",
        ])
    }
}
