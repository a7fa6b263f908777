import WavecastBench

/// `section_gateway_latency`: live PCM into the encoder → one WebSocket client of the gateway
/// (`wavecast-bench latency`), at 1 and 4 frames per chunk, and with the gateway's jitter buffer and burst.
struct GatewayLatencySection {
    /// The run it belongs to.
    let run: BenchRun

    /// Measures and prints the table.
    func measure() {
        let seconds = self.run.settings.sizes.latencySeconds
        Report.step(
            "End-to-end latency: live PCM into the encoder → one WebSocket client of the gateway, \(seconds) s each"
        )
        var table = MarkdownTable(header: [
            "Frames per chunk", "Gateway --jitter-ms", "--burst-ms", "Chunks", "p50 ms", "p99 ms", "min / max ms",
        ])
        for (chunkFrames, jitter, burst) in [(1, 0, 0), (4, 0, 0), (1, 40, 300)] {
            let settingCells = ["\(chunkFrames)", "\(jitter)", "\(burst)"]
            guard
                let (encoder, gateway) = self.run.startDemoGateway(
                    chunkFrames: chunkFrames,
                    ["--jitter-ms", "\(jitter)", "--burst-ms", "\(burst)"]
                )
            else {
                table.append(settingCells + ["did not start"])
                continue
            }
            self.run.waitForQuiet()
            let output = self.run.runBench(
                [
                    "latency", "--encoder", encoder.ingest, "--url", "ws://127.0.0.1:\(gateway.port)/ws/live",
                    "--stream", "live", "--seconds", "\(seconds)", "--chunk-frames", "\(chunkFrames)",
                ],
                log: "latency.log",
                limit: Double(seconds + 60)
            )
            gateway.stop()
            encoder.stop()
            let last = output.split(separator: "\n").last.map(String.init) ?? ""
            guard let line = ResultLine.last(ofKind: "e2e", in: output) else {
                table.append(settingCells + ["failed: \(last.prefix(80))"])
                continue
            }
            table.append(
                settingCells + [
                    line["chunks"], "**\(line["p50_ms"])**", "**\(line["p99_ms"])**",
                    "\(line["min_ms"]) / \(line["max_ms"])",
                ]
            )
        }
        Report.table(table)
        Report.note(
            "Latency of a chunk: its arrival at the client minus the send of the `pcm` request that completed its"
        )
        Report.note(
            "last MP3 frame (the encoder's `frames` reply field counts them). PCM goes one 72 ms frame per request,"
        )
        Report.note(
            "on absolute deadlines (a 440 Hz tone, 8 kHz mono). LAME's own look-ahead (the audio it holds before it"
        )
        Report.note(
            "can finish a frame) comes on top of these figures; the client is wavecast-bench latency (SwiftNIO, the"
        )
        Report.note("WavecastClient WebSocket client), on the same machine.")
    }
}
