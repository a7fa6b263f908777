import WavecastBench

/// `section_proxy`: what the bus proxy costs. For each N, a fresh proxy and a fresh encoder that both binds its bus
/// and publishes to the proxy (`--bus-connect`); `wavecast-bench proxy` plays N looping 2 s WAVs and reads every
/// chunk twice, direct and through the proxy, each socket on a thread of its own.
struct ProxySection {
    /// The run it belongs to.
    let run: BenchRun

    /// Measures and prints the table.
    func measure() {
        let sizes = self.run.settings.sizes
        Report.step(
            "The bus proxy: N looping 2 s WAVs read direct and through `wavecast proxy`, \(sizes.streamSeconds) s each"
        )
        var table = MarkdownTable(header: [
            "Streams", "Messages through the proxy / s", "Chunks direct (not through the proxy)",
            "Added latency p50 / p99 / max ms", "Proxy CPU %", "Proxy CPU µs / message (user)", "Proxy RSS KiB",
        ])
        for count in sizes.proxyStreams {
            self.run.waitForQuiet()
            guard let proxy = self.run.startProxy() else {
                table.append(["\(count)", "proxy did not start"])
                continue
            }
            guard let encoder = self.run.startEncoder(maxStreams: count + 100, ["--bus-connect", proxy.frontend])
            else {
                proxy.stop()
                table.append(["\(count)", "encoder did not start"])
                continue
            }
            let output = self.run.runBench(
                [
                    "proxy", "--encoder", encoder.ingest, "--bus", encoder.bus, "--proxy-bus", proxy.backend,
                    "--proxy-pid", "\(proxy.process.pid)", "--wav", self.run.path("loop-8k-mono.wav"),
                    "--streams", "\(count)", "--seconds", "\(sizes.streamSeconds)",
                ],
                log: "proxy.log",
                limit: Double(sizes.streamSeconds + 2 * 120 + 30)
            )
            encoder.stop()
            proxy.stop()
            for text in output.split(separator: "\n") where !text.hasPrefix("proxy ") { Report.line(text) }
            guard let line = ResultLine.last(ofKind: "proxy", in: output) else {
                table.append(["\(count)", "run failed (see above)"])
                continue
            }
            table.append([
                "\(count)", line["messages_per_s"], "\(line["chunks_direct"]) (\(line["missing"]))",
                "\(line["added_p50_ms"]) / \(line["added_p99_ms"]) / \(line["added_max_ms"])",
                line["proxy_cpu_percent"],
                "**\(line["proxy_us_per_message"])** (\(line["proxy_user_us_per_message"]))", line["proxy_rss_kb"],
            ])
        }
        Report.table(table)
        Report.note("Added latency: a chunk's arrival through the proxy minus its arrival direct, on one clock.")
        Report.note(
            "Proxy CPU: its utime+stime over the window (/proc/PID/stat) ÷ the messages it handed the bench then."
        )
        Report.note("The encoder, the proxy and the bench's two reading threads share the machine's cores.")
    }
}
