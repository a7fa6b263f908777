import Foundation
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

/// A process the run started: its output goes to a file in the run's work directory (read back when a table
/// needs it), and it is registered in ``ChildRegistry`` until it has exited, so a failure or a Ctrl-C stops it.
final class ChildProcess {
    /// What the run calls it, in messages.
    let name: String
    /// Where its standard output (and, unless given apart, its standard error) goes.
    let outputPath: String
    private let process = Process()

    /// Starts `executable` with `arguments`.
    ///
    /// - Parameters:
    ///   - name: what messages call it (`the encoder`, `haproxy`).
    ///   - executable: an absolute path, or a name looked up in `PATH`.
    ///   - arguments: its arguments.
    ///   - output: the file its standard output goes to (created or emptied), or `/dev/null`.
    ///   - errorOutput: the file its standard error goes to, or `nil` for the same file as `output`.
    /// - Throws: ``BenchError`` if it cannot be started.
    init(
        name: String,
        executable: String,
        arguments: [String],
        output: String,
        errorOutput: String? = nil
    ) throws(BenchError) {
        self.name = name
        self.outputPath = output
        guard let path = Tools.locate(executable) else {
            throw BenchError("\(name): '\(executable)' is not installed or not in PATH (scripts/test installs it)")
        }
        self.process.executableURL = URL(fileURLWithPath: path)
        self.process.arguments = arguments
        self.process.standardInput = FileHandle.nullDevice
        do {
            let out = try Self.handle(writingTo: output)
            self.process.standardOutput = out
            self.process.standardError = try errorOutput.map { try Self.handle(writingTo: $0) } ?? out
            try self.process.run()
        } catch {
            throw BenchError("cannot start \(name) (\(path)): \(error)")
        }
        ChildRegistry.add(self.process.processIdentifier)
    }

    /// A measurement that failed half-way must not leave its processes behind for the next one.
    deinit {
        if self.process.isRunning { self.stop(grace: 0) }
    }

    /// The process id.
    var pid: Int32 { self.process.processIdentifier }

    /// Whether it has not exited yet.
    var isRunning: Bool { self.process.isRunning }

    /// Asks it to stop (SIGTERM), gives it `grace` seconds to exit, then kills it (SIGKILL) and reaps it.
    func stop(grace: Double) {
        if self.process.isRunning {
            kill(self.pid, SIGTERM)
            // Bounded: `grace` seconds in 100 ms steps.
            for _ in 0..<Int(grace * 10) where self.process.isRunning { SystemIO.sleep(seconds: 0.1) }
            if self.process.isRunning { kill(self.pid, SIGKILL) }
        }
        self.process.waitUntilExit()
        ChildRegistry.remove(self.pid)
    }

    /// Waits at most `limit` seconds for it to exit by itself, then kills it (as `timeout` would).
    ///
    /// - Returns: its exit status, or `nil` when it had to be killed.
    @discardableResult
    func wait(limit: Double) -> Int32? {
        let deadline = SystemIO.monotonicNanoseconds() + Int64(limit * 1e9)
        while self.process.isRunning && SystemIO.monotonicNanoseconds() < deadline { SystemIO.sleep(seconds: 0.02) }
        let timedOut = self.process.isRunning
        if timedOut { kill(self.pid, SIGKILL) }
        self.process.waitUntilExit()
        ChildRegistry.remove(self.pid)
        return timedOut ? nil : self.process.terminationStatus
    }

    /// What it wrote to its output file so far.
    var output: String {
        (try? SystemIO.readFile(self.outputPath)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    /// Runs `executable` to its end (at most `limit` seconds, then killed), its output in `output`.
    ///
    /// - Returns: its exit status (`nil` if it was killed) and what it printed.
    /// - Throws: ``BenchError`` if it cannot be started.
    static func run(
        _ executable: String,
        _ arguments: [String],
        output: String,
        limit: Double
    ) throws(BenchError) -> (status: Int32?, output: String) {
        let child = try ChildProcess(name: executable, executable: executable, arguments: arguments, output: output)
        let status = child.wait(limit: limit)
        return (status, child.output)
    }

    /// Runs `executable` with its input and output on /dev/null and returns its wall-clock time in nanoseconds, from
    /// spawn to exit as seen by a blocking `waitpid` (no polling, which would round the time up to its step), or
    /// `nil` if it could not start, failed, or ran past `limit` seconds (then it is killed).
    static func timedRun(_ executable: String, _ arguments: [String], limit: Double) -> Int64? {
        guard let path = Tools.locate(executable) else { return nil }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let start = SystemIO.monotonicNanoseconds()
        guard posix_spawn(&pid, path, &actions, nil, argv, environ) == 0 else { return nil }
        ChildRegistry.add(pid)
        defer { ChildRegistry.remove(pid) }
        // The bound: a watchdog kills it after `limit`; cancelled as soon as it has exited.
        let watchdog = DispatchWorkItem { [pid] in kill(pid, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + limit, execute: watchdog)
        var status: Int32 = 0
        var waited: pid_t
        repeat { waited = waitpid(pid, &status, 0) } while waited < 0 && errno == EINTR
        let elapsed = SystemIO.monotonicNanoseconds() - start
        watchdog.cancel()
        // Exited normally with status 0 (WIFEXITED and WEXITSTATUS, which Swift does not import as macros).
        guard waited == pid, status & 0x7f == 0, (status >> 8) & 0xff == 0 else { return nil }
        return elapsed
    }

    /// A handle writing to `path` from its start (created or emptied), or the null device for `/dev/null`.
    private static func handle(writingTo path: String) throws -> FileHandle {
        if path == "/dev/null" { return FileHandle.nullDevice }
        guard FileManager.default.createFile(atPath: path, contents: nil),
            let handle = FileHandle(forWritingAtPath: path)
        else { throw BenchError("cannot create \(path)") }
        return handle
    }
}

/// Every child process still running, so that the run stops them all however it ends: normally, on an error,
/// or on SIGINT, SIGTERM or SIGHUP (see ``install(cleanup:)``).
enum ChildRegistry {
    private static let pids = NIOLockedValueBox<Set<Int32>>([])

    /// Notes that `pid` runs.
    static func add(_ pid: Int32) { Self.pids.withLockedValue { _ = $0.insert(pid) } }

    /// Notes that `pid` has exited and been reaped.
    static func remove(_ pid: Int32) { Self.pids.withLockedValue { _ = $0.remove(pid) } }

    /// Stops every child still running: SIGTERM, up to 5 s, then SIGKILL.
    static func stopAll() {
        let pids = Self.pids.withLockedValue { $0 }
        for pid in pids { kill(pid, SIGTERM) }
        // Bounded: 50 steps of 100 ms. Foundation's Process reaps a child that exits, after which kill(pid, 0) fails.
        for _ in 0..<50 {
            if pids.allSatisfy({ kill($0, 0) != 0 }) { break }
            SystemIO.sleep(seconds: 0.1)
        }
        for pid in pids where kill(pid, 0) == 0 { kill(pid, SIGKILL) }
        Self.pids.withLockedValue { $0.removeAll() }
    }

    /// On SIGINT, SIGTERM or SIGHUP: stops every child, runs `cleanup` (removes the work directory), and exits
    /// with 128 + the signal, as a shell would.
    ///
    /// - Returns: the signal sources, which the caller keeps for as long as the run lasts.
    static func install(cleanup: @escaping @Sendable () -> Void) -> [any DispatchSourceSignal] {
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM, SIGHUP] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                FileHandle.standardError.write(Data("\nwavecast-bench run: signal \(number): stopping\n".utf8))
                Self.stopAll()
                cleanup()
                exit(128 + number)
            }
            source.resume()
            sources.append(source)
        }
        return sources
    }
}
