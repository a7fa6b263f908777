#if canImport(Glibc)
import Glibc
#endif

/// A process's CPU time and memory, read from `/proc/PID/stat` and `/proc/PID/status`.
struct ProcessSample {
    /// User plus system CPU time, in seconds.
    var cpuSeconds: Double
    /// User CPU time alone, in seconds (the rest of ``cpuSeconds`` is the kernel's: for a server, mostly sends).
    var userSeconds: Double
    /// Resident set size now, in bytes.
    var residentBytes: Int
    /// Peak resident set size (`VmHWM`), in bytes.
    var peakResidentBytes: Int

    /// Samples process `pid`.
    ///
    /// - Throws: ``BenchError`` if the process does not exist or its /proc files cannot be parsed.
    init(pid: Int32) throws(BenchError) {
        let stat = String(decoding: try SystemIO.readFile("/proc/\(pid)/stat"), as: UTF8.self)
        // The command name (field 2) is in parentheses and may hold spaces: count fields after its ')'.
        guard let close = stat.lastIndex(of: ")") else { throw BenchError("cannot parse /proc/\(pid)/stat") }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After ')' come field 3 (state) onwards, so utime (14) and stime (15) are at offsets 11 and 12.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else {
            throw BenchError("cannot parse utime and stime in /proc/\(pid)/stat")
        }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        self.cpuSeconds = (user + system) / ticks
        self.userSeconds = user / ticks
        let status = String(decoding: try SystemIO.readFile("/proc/\(pid)/status"), as: UTF8.self)
        self.residentBytes = Self.kilobytes("VmRSS:", in: status) * 1024
        self.peakResidentBytes = Self.kilobytes("VmHWM:", in: status) * 1024
    }

    private static func kilobytes(_ key: String, in status: String) -> Int {
        for line in status.split(separator: "\n") where line.hasPrefix(key) {
            let number = line.dropFirst(key.count).split { $0 == " " || $0 == "\t" }.first
            return number.flatMap { Int($0) } ?? 0
        }
        return 0
    }
}
