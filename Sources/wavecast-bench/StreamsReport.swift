/// What one `streams` run measured, printed readably and as one `key=value` line for scripts/bench.
struct StreamsReport {
    /// Streams asked for.
    var streams: Int
    /// The measurement window's actual length.
    var windowSeconds: Double
    /// Time from the first play request to the last reply.
    var setupSeconds: Double
    /// Replies to the play requests.
    var plays: IngestReplies
    /// Replies to the stop requests.
    var stops: IngestReplies
    /// What arrived on the bus.
    var tracker: ArrivalTracker
    /// The encoder's publication-lateness histogram over the window.
    var publication: HistogramSnapshot
    /// The encoder's CPU use over the window, in percent of one core.
    var cpuPercent: Double?
    /// This bench process's own CPU use over the window, in percent of one core.
    var benchCPUPercent: Double
    /// The encoder's process at the end of the window.
    var process: ProcessSample?

    /// Chunks the window should have brought: every started stream, one chunk per chunk duration.
    var expectedChunks: Int {
        Int((Double(self.plays.ok) * self.windowSeconds / self.tracker.chunkSeconds).rounded())
    }

    private var arrival: Percentiles { Percentiles(self.tracker.lateness) }

    /// Prints the report for a person.
    func printReadable() {
        let arrival = self.arrival
        print(
            "streams: \(self.streams) asked, plays \(self.plays.summary), set up in \(Self.fixed(self.setupSeconds, 2)) s"
        )
        if let error = self.plays.firstError { print("  first play error: \(error)") }
        print(
            "  window \(Self.fixed(self.windowSeconds, 2)) s: \(self.tracker.received) chunks of "
                + "\(self.expectedChunks) expected, from \(self.tracker.streamsSeen) streams; "
                + "\(self.tracker.missing) missing by sequence"
        )
        print(
            "  arrival lateness vs each stream's media clock: p50 \(Self.milliseconds(arrival.value(at: 0.5))) ms, "
                + "p99 \(Self.milliseconds(arrival.value(at: 0.99))) ms, max \(Self.milliseconds(arrival.maximum)) ms"
        )
        print(
            "  encoder publication lateness p99 ≤ \(Self.bound(self.publication.bucketBound(at: 0.99))) ms "
                + "(\(Int(self.publication.total)) chunks)"
        )
        if let cpuPercent, let process {
            print(
                "  encoder CPU \(Self.fixed(cpuPercent, 1)) % of a core, RSS \(Self.fixed(Double(process.residentBytes) / 1_048_576, 1)) MiB "
                    + "(peak \(Self.fixed(Double(process.peakResidentBytes) / 1_048_576, 1)) MiB)"
            )
        }
        print("  bench CPU \(Self.fixed(self.benchCPUPercent, 1)) % of a core")
        print("  stops \(self.stops.summary)")
    }

    /// The report as one line starting with `streams`.
    var resultLine: String {
        let arrival = self.arrival
        var fields: [(String, String)] = [
            ("n", "\(self.streams)"),
            ("seconds", Self.fixed(self.windowSeconds, 2)),
            ("setup_s", Self.fixed(self.setupSeconds, 2)),
            ("plays_ok", "\(self.plays.ok)"),
            ("received", "\(self.tracker.received)"),
            ("expected", "\(self.expectedChunks)"),
            ("missing", "\(self.tracker.missing)"),
            ("late_p50_ms", Self.milliseconds(arrival.value(at: 0.5))),
            ("late_p99_ms", Self.milliseconds(arrival.value(at: 0.99))),
            ("late_max_ms", Self.milliseconds(arrival.maximum)),
            ("pub_p99_le_ms", Self.bound(self.publication.bucketBound(at: 0.99))),
            ("pub_chunks", "\(Int(self.publication.total))"),
            ("stops_ok", "\(self.stops.ok)"),
            ("bench_cpu_pct", Self.fixed(self.benchCPUPercent, 1)),
        ]
        if let cpuPercent, let process {
            fields.append(("cpu_pct", Self.fixed(cpuPercent, 1)))
            fields.append(("rss_mib", Self.fixed(Double(process.residentBytes) / 1_048_576, 1)))
        }
        return "streams " + fields.map { "\($0.0)=\($0.1)" }.joined(separator: " ")
    }

    private static func milliseconds(_ nanoseconds: Int64?) -> String {
        nanoseconds.map { Self.fixed(Double($0) / 1e6, 2) } ?? "-"
    }

    private static func bound(_ seconds: Double?) -> String {
        guard let seconds else { return "-" }
        return seconds.isInfinite ? "inf" : Self.fixed(seconds * 1000, 2)
    }

    private static func fixed(_ value: Double, _ digits: Int) -> String { EncodeRun.fixed(value, digits) }
}
