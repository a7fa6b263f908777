import WavecastCore

/// The figures of a `wavecast loadtest --json` report that the fan-out tables use, as `key=value` words.
struct LoadTestSummary {
    /// `key=value` pairs in the order the result line prints them.
    var fields: [(key: String, value: String)]

    /// Reads the report: the last line of `output` that holds a JSON object.
    ///
    /// - Throws: ``BenchError`` quoting the output's end when there is no readable report.
    init(output: String) throws(BenchError) {
        guard let line = output.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
            case .object(let report)? = try? JSONValue.parse(Array(line.utf8))
        else {
            throw BenchError("the load tool printed no JSON report; its output ends: \(output.suffix(500))")
        }
        func value(_ path: String...) -> String {
            var current: JSONValue? = .object(report)
            for key in path {
                guard case .object(let object)? = current else { return "-" }
                current = object[key]
            }
            switch current {
            case .number(let number)?:
                return number == number.rounded() && abs(number) < 1e15
                    ? String(Int(number)) : EncodeRun.fixed(number, 2)
            case .string(let string)?: return string
            default: return "-"
            }
        }
        var closes: [String] = []
        if case .object(let codes)? = report["closes"] {
            for (code, count) in codes.members.sorted(by: { $0.key < $1.key }) {
                closes.append("\(code):\(count.integerValue ?? 0)")
            }
        }
        // The commonest connect failure, as one token.
        var failure = "none"
        if case .object(let failures)? = report["failures"],
            let commonest = failures.members.max(by: { ($0.value.integerValue ?? 0) < ($1.value.integerValue ?? 0) })
        {
            failure = String(commonest.key.replacing(" ", with: "_").prefix(60))
        }
        self.fields = [
            ("connected", value("connected")), ("connect_failures", value("failed")),
            ("open_at_end", value("open_at_end")), ("without_chunk", value("without_chunk")),
            ("late_p50_ms", value("lateness_ms", "p50")), ("late_p99_ms", value("lateness_ms", "p99")),
            ("late_p999_ms", value("lateness_ms", "p999")), ("late_max_ms", value("lateness_ms", "max")),
            ("late_count", value("lateness_ms", "count")), ("lost", value("missing")),
            ("duplicates", value("duplicates")), ("ttfa_p50_ms", value("time_to_first_chunk_ms", "p50")),
            ("ttfa_p99_ms", value("time_to_first_chunk_ms", "p99")), ("chunks", value("chunks")),
            ("tool_dropped", value("dropped")),
            ("server_closes", closes.isEmpty ? "none" : closes.joined(separator: ",")),
            ("failure", failure),
        ]
    }
}
