#if canImport(Glibc)
import Glibc
#endif

/// The whole machine's CPU time, from the `cpu` line of `/proc/stat`, in clock ticks of all cores together.
struct MachineSample {
    /// Ticks spent doing anything (everything but idle and iowait).
    var busyTicks: Int
    /// All ticks.
    var totalTicks: Int

    /// Samples `/proc/stat` now.
    ///
    /// - Throws: ``BenchError`` if it cannot be read or parsed.
    init() throws(BenchError) {
        let stat = String(decoding: try SystemIO.readFile("/proc/stat"), as: UTF8.self)
        guard let line = stat.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else {
            throw BenchError("no cpu line in /proc/stat")
        }
        let ticks = line.split(separator: " ").dropFirst().compactMap { Int($0) }
        guard ticks.count >= 5 else { throw BenchError("cannot parse the cpu line of /proc/stat: \(line)") }
        self.totalTicks = ticks.reduce(0, +)
        // user nice system idle iowait …: idle and iowait are not busy.
        self.busyTicks = self.totalTicks - ticks[3] - ticks[4]
    }

    /// Clock ticks per second (`_SC_CLK_TCK`).
    static var ticksPerSecond: Double { Double(sysconf(Int32(_SC_CLK_TCK))) }

    /// Waits (at most `limit` seconds) until the machine used under a quarter of one core for a whole second, so
    /// other work does not decide a measurement; returns the share of a core the others used in the last second.
    static func waitForQuiet(limit: Double) throws(BenchError) -> (quiet: Bool, percentOfCore: Double) {
        let started = SystemIO.monotonicNanoseconds()
        while true {
            let before = try MachineSample()
            SystemIO.sleep(seconds: 1)
            let after = try MachineSample()
            let percent = Double(after.busyTicks - before.busyTicks) * 100 / Self.ticksPerSecond
            if percent < 25 { return (true, percent) }
            if Double(SystemIO.monotonicNanoseconds() - started) / 1e9 >= limit { return (false, percent) }
        }
    }

    /// ``waitForQuiet(limit:)``, saying on standard error when the machine stayed busy.
    static func waitForQuietSaying(limit: Double) throws(BenchError) {
        let quiet = try Self.waitForQuiet(limit: limit)
        if !quiet.quiet {
            printError(
                "the machine stayed busy: \(EncodeRun.fixed(quiet.percentOfCore, 0)) % of a core used by others "
                    + "after \(Int(limit)) s; measuring anyway"
            )
        }
    }
}
