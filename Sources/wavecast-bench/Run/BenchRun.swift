import Foundation
import WavecastBench

#if canImport(Glibc)
import Glibc
#endif

/// One run of the bench: its settings, the work directory with the inputs, where the binaries are; and the
/// helpers every section shares (starting services, running a measuring subcommand, waiting for a quiet machine).
final class BenchRun {
    /// What to run and how.
    let settings: BenchSettings
    /// A fresh temporary directory for inputs, logs and the C baseline; removed when the run ends.
    let work: String
    /// The directory of the release binaries (this executable's own).
    let binaries: String
    /// The C baseline, once built (`nil` when no section needs it).
    var baseline: String?
    /// The 2 s WAV every looping stream plays (`loop-8k-mono.wav`), once the inputs are made.
    var loopWAV: [UInt8] = []

    /// Creates the work directory.
    ///
    /// - Throws: ``BenchError`` if it cannot be made.
    init(settings: BenchSettings) throws(BenchError) {
        self.settings = settings
        let template = (ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp") + "/wavecast-bench.XXXXXX"
        var bytes = Array(template.utf8CString)
        guard let made = mkdtemp(&bytes) else {
            throw BenchError("cannot make a work directory like \(template): \(String(cString: strerror(errno)))")
        }
        self.work = String(cString: made)
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        self.binaries = (executable as NSString).deletingLastPathComponent
    }

    /// A file in the work directory.
    func path(_ name: String) -> String { self.work + "/" + name }

    /// This executable, for the measuring subcommands (`streams`, `live`, `fanout`, `latency`, `encode`).
    var bench: String { self.binaries + "/wavecast-bench" }

    /// The gateway to measure: WAVECAST_BENCH_GATEWAY_BINARY, or the one built beside this executable.
    var gatewayExecutable: String { self.settings.gatewayBinary ?? self.binaries + "/wavecast-gateway" }

    /// Removes the work directory (the run's last act, also on a signal).
    func removeWork() {
        try? FileManager.default.removeItem(atPath: self.work)
    }

    /// Waits (at most WAVECAST_BENCH_QUIET_WAIT_S) until the machine is quiet, so other work does not decide a
    /// measurement; says so on standard error when it stays busy.
    func waitForQuiet() {
        do {
            try MachineSample.waitForQuietSaying(limit: self.settings.quietWaitSeconds)
        } catch {
            Report.warn("   (\(error))")
        }
    }

    /// Runs `wavecast-bench ARGUMENTS…` to its end (killed after `limit` seconds), its standard output and error
    /// together in `log` in the work directory.
    ///
    /// - Returns: what it printed (empty if it could not start).
    func runBench(_ arguments: [String], log: String, limit: Double) -> String {
        do {
            return try ChildProcess.run(self.bench, arguments, output: self.path(log), limit: limit).output
        } catch {
            return "\(error)"
        }
    }

    /// Each process's CPU over `seconds`, in % of one core with one decimal (`-` for one that could not be read).
    func cpuOver(seconds: Double, pids: [Int32]) -> [String] {
        let before = pids.map { try? ProcessSample(pid: $0) }
        SystemIO.sleep(seconds: seconds)
        let after = pids.map { try? ProcessSample(pid: $0) }
        return zip(before, after).map { earlier, later in
            guard let earlier, let later else { return "-" }
            return Formatting.fixed(100 * (later.cpuSeconds - earlier.cpuSeconds) / seconds, 1)
        }
    }

    /// One sample's value from a service's `/metrics`, or `nil`.
    func metric(port: Int, _ name: String) -> Double? {
        guard let scraper = try? MetricsScraper(url: "http://127.0.0.1:\(port)"), let page = try? scraper.fetch()
        else { return nil }
        return metricValue(name, in: page)
    }

    /// ``metric(port:_:)`` as a table cell: a whole number, or `-`.
    func metricCell(port: Int, _ name: String) -> String {
        self.metric(port: port, name).map { Formatting.fixed($0, 0) } ?? "-"
    }

    /// Polls `http://127.0.0.1:PORT/PATH` every 100 ms, at most `tries` times, until it answers 200 and `accept`
    /// takes its body; stops early when `process` exits.
    func waitForPage(
        port: Int,
        path: String,
        tries: Int,
        process: ChildProcess?,
        accept: (String) -> Bool = { _ in true }
    ) -> Bool {
        guard let scraper = try? MetricsScraper(url: "http://127.0.0.1:\(port)") else { return false }
        for _ in 0..<tries {
            if let body = try? scraper.fetch(path: path), accept(body) { return true }
            if let process, !process.isRunning { return false }
            SystemIO.sleep(seconds: 0.1)
        }
        return false
    }

    /// The last `count` lines of a log in the work directory, for a message about a process that failed.
    func tail(_ log: String, _ count: Int) -> String {
        let text = (try? SystemIO.readFile(self.path(log))).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(count + 1)
            .joined(separator: "\n")
    }
}
