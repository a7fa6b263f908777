extension LoadTestReport {
    /// The report for a person: a few lines of text.
    public var text: String {
        let figures = self.figures
        var lines: [String] = []
        lines.append(
            "clients: \(self.connected) connected, \(self.failed) failed (of \(self.attempted) attempted, "
                + "\(self.configuration.clients) asked); \(figures.openAtEnd) open at the end, "
                + "\(self.connected - figures.withChunk) never got a chunk"
        )
        for (reason, count) in self.failures.sorted(by: { $0.value > $1.value }) {
            lines.append("  failed: \(count) × \(reason)")
        }
        let ttfc = figures.timeToFirstChunk
        lines.append(
            "time to first chunk (from connect start): p50 \(Self.milliseconds(ttfc.percentile(0.5))) ms, "
                + "p99 \(Self.milliseconds(ttfc.percentile(0.99))) ms, max \(Self.milliseconds(ttfc.max)) ms"
        )
        lines.append(
            "messages: \(figures.messages) (\(figures.chunks) chunks, \(figures.starts) start, \(figures.ends) end, "
                + "\(figures.malformed) unreadable)"
        )
        let lateness = figures.lateness
        lines.append(
            "lateness vs media clock (from \(Self.fixed(self.measuredFromSeconds, 1)) s, i.e. 1 s after the ramp; "
                + "\(lateness.count) chunks): p50 \(Self.milliseconds(lateness.percentile(0.5))) ms, "
                + "p99 \(Self.milliseconds(lateness.percentile(0.99))) ms, "
                + "p99.9 \(Self.milliseconds(lateness.percentile(0.999))) ms, max \(Self.milliseconds(lateness.max)) ms"
        )
        lines.append("sequence: \(figures.missing) missing, \(figures.duplicates) duplicate (summed over clients)")
        let closes = figures.closesByCode.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
        lines.append(
            "closed by the server: \(closes.isEmpty ? "none" : closes.joined(separator: ", "))"
                + "; dropped without a close frame: \(figures.dropped)"
        )
        lines.append(
            "own CPU: \(Self.fixed(self.cpuUserSeconds, 2)) s user + \(Self.fixed(self.cpuSystemSeconds, 2)) s system "
                + "over \(Self.fixed(self.wallSeconds, 1)) s = \(Self.fixed(self.cpuPercent, 1)) % of a core "
                + "(\(self.configuration.threads) threads)"
        )
        return lines.joined(separator: "\n")
    }

    /// The report as one JSON object (durations in milliseconds), for scripts.
    public var json: String {
        let figures = self.figures
        func summary(_ histogram: LatencyHistogram) -> String {
            "{\"count\":\(histogram.count),\"p50\":\(Self.milliseconds(histogram.percentile(0.5))),"
                + "\"p90\":\(Self.milliseconds(histogram.percentile(0.9))),"
                + "\"p99\":\(Self.milliseconds(histogram.percentile(0.99))),"
                + "\"p999\":\(Self.milliseconds(histogram.percentile(0.999))),"
                + "\"max\":\(Self.milliseconds(histogram.max)),\"mean\":\(Self.fixed(histogram.mean / 1000, 3))}"
        }
        let failures = self.failures.sorted { $0.key < $1.key }
            .map { "\(Self.jsonString($0.key)):\($0.value)" }.joined(separator: ",")
        let closes = figures.closesByCode.sorted { $0.key < $1.key }
            .map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",")
        let fields: [String] = [
            "\"url\":\(Self.jsonString(self.configuration.url.description))",
            "\"clients\":\(self.configuration.clients)",
            "\"seconds\":\(Self.fixed(self.configuration.seconds, 3))",
            "\"ramp_seconds\":\(Self.fixed(self.configuration.rampSeconds, 3))",
            "\"threads\":\(self.configuration.threads)",
            "\"attempted\":\(self.attempted)",
            "\"connected\":\(self.connected)",
            "\"failed\":\(self.failed)",
            "\"failures\":{\(failures)}",
            "\"open_at_end\":\(figures.openAtEnd)",
            "\"without_chunk\":\(self.connected - figures.withChunk)",
            "\"time_to_first_chunk_ms\":\(summary(figures.timeToFirstChunk))",
            "\"messages\":\(figures.messages)",
            "\"chunks\":\(figures.chunks)",
            "\"starts\":\(figures.starts)",
            "\"ends\":\(figures.ends)",
            "\"malformed\":\(figures.malformed)",
            "\"lateness_measured_from_seconds\":\(Self.fixed(self.measuredFromSeconds, 3))",
            "\"lateness_ms\":\(summary(figures.lateness))",
            "\"missing\":\(figures.missing)",
            "\"duplicates\":\(figures.duplicates)",
            "\"closes\":{\(closes)}",
            "\"dropped\":\(figures.dropped)",
            "\"wall_seconds\":\(Self.fixed(self.wallSeconds, 3))",
            "\"cpu_user_seconds\":\(Self.fixed(self.cpuUserSeconds, 3))",
            "\"cpu_system_seconds\":\(Self.fixed(self.cpuSystemSeconds, 3))",
            "\"cpu_percent\":\(Self.fixed(self.cpuPercent, 1))",
            "\"file_limit\":\(self.fileLimit)",
        ]
        return "{" + fields.joined(separator: ",") + "}"
    }

    /// Microseconds as milliseconds with three decimals: `12.345`.
    static func milliseconds(_ microseconds: UInt64) -> String {
        let fraction = microseconds % 1000
        let padding = fraction < 10 ? "00" : fraction < 100 ? "0" : ""
        return "\(microseconds / 1000).\(padding)\(fraction)"
    }

    /// A number with a fixed count of decimals, without Foundation.
    static func fixed(_ value: Double, _ decimals: Int) -> String {
        guard value.isFinite else { return "0" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = Int64((abs(value) * scale).rounded())
        let unit = Int64(scale)
        let whole = scaled / unit
        let sign = value < 0 && scaled != 0 ? "-" : ""
        guard decimals > 0 else { return "\(sign)\(whole)" }
        let fraction = String(scaled % unit)
        return "\(sign)\(whole)." + String(repeating: "0", count: decimals - fraction.count) + fraction
    }

    /// A JSON string literal.
    static func jsonString(_ text: String) -> String {
        var output = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        return output + "\""
    }
}
