import WavecastBench

#if canImport(Glibc)
import Glibc
#endif

extension BenchRun {
    /// Says what the figures were measured on: cores and CPU model, the load before the run, the Swift (and
    /// ffmpeg) versions, and the open-file limit the gateway sections live within.
    func describeMachine() {
        Report.step("Machine")
        let cpuinfo = (try? SystemIO.readFile("/proc/cpuinfo")).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let model =
            cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { String($0.drop { $0 == " " || $0 == "\t" }) } ?? "unknown CPU"
        Report.note("\(sysconf(Int32(_SC_NPROCESSORS_ONLN))) cores: \(model)")
        let load = (try? SystemIO.readFile("/proc/loadavg")).map { String(decoding: $0, as: UTF8.self) } ?? ""
        Report.note(
            "load average before the run: \(load.split(separator: " ").prefix(3).joined(separator: " ")) "
                + "(other work on the machine skews every figure)"
        )
        Report.note(self.firstLine(of: "swift", ["--version"]))
        if self.settings.sections.contains(.encodeSpeed) {
            Report.note(self.firstLine(of: "ffmpeg", ["-hide_banner", "-version"]))
        }
        if self.settings.usesGateway {
            var limit = rlimit()
            getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
            Report.note(
                "open files allowed: \(limit.rlim_cur) (each client holds one in the server and one in the load tool)"
            )
        }
    }

    /// Builds the C yardstick, plain C with no libraries (Benchmarks/baseline/Makefile builds it the same way).
    ///
    /// - Throws: ``BenchError`` with the compiler's output if it fails.
    func buildBaseline(repository: String) throws(BenchError) {
        let output = self.path("baseline")
        let result = try ChildProcess.run(
            "cc",
            ["-O2", "-Wall", "-o", output, repository + "/Benchmarks/baseline/baseline.c"],
            output: self.path("build.log"),
            limit: 300
        )
        guard result.status == 0 else {
            throw BenchError("cc could not build the C baseline:\n\(result.output.suffix(3000))")
        }
        self.baseline = output
        Report.note("C baseline: cc -O2 Benchmarks/baseline/baseline.c -> \(output)")
    }

    /// The first line `tool ARGUMENTS…` prints (its version), or a note that it printed none.
    private func firstLine(of tool: String, _ arguments: [String]) -> String {
        let result = try? ChildProcess.run(tool, arguments, output: self.path("version.log"), limit: 60)
        return result?.output.split(separator: "\n").first.map(String.init) ?? "\(tool): no version"
    }
}
