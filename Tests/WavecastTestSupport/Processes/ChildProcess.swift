public import Foundation
import NIOConcurrencyHelpers

/// A child process whose standard output and error are drained into one log all along, so it never blocks on a
/// full pipe and a failing test can show what it said; killed when the value goes away.
public final class ChildProcess: @unchecked Sendable {
    // Thread safety: `process` is set once and only asked for its state and sent signals, which `Process` allows
    // from any thread; the log is behind its lock.
    /// The process.
    public let process: Process
    private let log = NIOLockedValueBox<String>("")
    private let drained = DispatchGroup()
    private let crashReported = NIOLockedValueBox(false)

    /// Starts `executable` (a path, or a name on `PATH`) with `arguments`.
    public init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try ExternalTool.locate(executable))
        process.arguments = arguments
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process
        let handle = output.fileHandleForReading
        self.drained.enter()
        let thread = Thread { [log = self.log, drained = self.drained] in
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                log.withLockedValue { $0 += String(decoding: data, as: UTF8.self) }
            }
            drained.leave()
        }
        thread.name = "child-output"
        thread.start()
    }

    deinit {
        if self.process.isRunning {
            Foundation.kill(self.process.processIdentifier, SIGKILL)
            self.process.waitUntilExit()
        }
        self.printOutputIfItCrashed()
    }

    /// What a process writes when it dies of a bug: a failed libzmq assertion, a Swift runtime error (which aborts),
    /// a sanitizer's report, an uncaught C++ exception.
    private static let crashMarkers = [
        "Assertion failed", "Fatal error", "DEADLYSIGNAL", "ThreadSanitizer", "AddressSanitizer", "terminate called",
    ]

    /// Whether it has ended other than by exiting with status 0, after writing one of ``crashMarkers``.
    public var saidWhatACrashSays: Bool {
        guard !self.process.isRunning else { return false }
        return self.endedAbnormally && Self.saysCrash(self.output(waiting: true))
    }

    /// It exited with a status other than 0, or a signal ended it (a crash's own, or the harness's SIGKILL of a
    /// process that hung while dying).
    private var endedAbnormally: Bool {
        // Foundation may say it is no longer running before it has recorded how it ended; this waits for that.
        self.process.waitUntilExit()
        return self.process.terminationReason == .uncaughtSignal || self.process.terminationStatus != 0
    }

    private static func saysCrash(_ output: String) -> Bool {
        Self.crashMarkers.contains { output.contains($0) }
    }

    /// Prints the output of a process that ended abnormally after saying one of ``crashMarkers``, once, even when the
    /// test passes: a crash no test noticed (a child that aborts while being stopped) then still says which process
    /// it was and why. A sanitizer's report goes to its own file; what the process printed before it died comes here.
    private func printOutputIfItCrashed() {
        guard !self.process.isRunning, self.endedAbnormally else { return }
        let output = self.output(waiting: true)
        guard Self.saysCrash(output) else { return }
        let first = self.crashReported.withLockedValue { reported in
            defer { reported = true }
            return !reported
        }
        guard first else { return }
        let name = self.process.executableURL?.lastPathComponent ?? "a child process"
        print("[child process] \(name) (pid \(self.pid)) ended saying what a crash says; the last of its output:")
        print(output.suffix(4000))
    }

    /// The process id.
    public var pid: Int32 { self.process.processIdentifier }

    /// Whether it is still running.
    public var isRunning: Bool { self.process.isRunning }

    /// What it has written so far (all of it, once it has exited, when `waiting`).
    public func output(waiting: Bool = false) -> String {
        if waiting && !self.process.isRunning {
            _ = self.drained.wait(timeout: .now() + 2)
        }
        return self.log.withLockedValue { $0 }
    }

    /// Waits until `find` recognises something in the output (a bound port, a ready line) and returns it.
    ///
    /// - Throws: ``HarnessError`` quoting the output, when the process exits or `timeout` passes first.
    public func waitForOutput<Value>(
        _ what: String,
        timeout: Duration = .seconds(20),
        _ find: (String) -> Value?
    ) throws -> Value {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let value = find(self.output()) { return value }
            if !self.process.isRunning || ContinuousClock.now >= deadline {
                if let value = find(self.output(waiting: true)) { return value }
                let name = self.process.executableURL?.lastPathComponent ?? "the process"
                throw HarnessError("\(name) did not report \(what); it said:\n\(self.output(waiting: true))")
            }
            usleep(10_000)
        }
    }

    /// Waits (at most `timeout`) for it to exit by itself; its exit status, or `nil` if it is still running.
    public func waitForExit(timeout: Duration) -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while self.process.isRunning && ContinuousClock.now < deadline { usleep(5_000) }
        return self.process.isRunning ? nil : self.process.terminationStatus
    }

    /// SIGTERM, then the exit status once it has exited (`nil` if it had to be killed after `timeout`).
    @discardableResult
    public func stop(timeout: Duration = .seconds(10)) -> Int32? {
        if self.process.isRunning { Foundation.kill(self.process.processIdentifier, SIGTERM) }
        guard let status = self.waitForExit(timeout: timeout) else {
            self.kill()
            return nil
        }
        self.printOutputIfItCrashed()
        return status
    }

    /// SIGKILL, as a crash or the OOM killer would, and waits for it to be gone.
    public func kill() {
        if self.process.isRunning { Foundation.kill(self.process.processIdentifier, SIGKILL) }
        self.process.waitUntilExit()
        self.printOutputIfItCrashed()
    }

    /// Sends `signal` (SIGSTOP, SIGCONT, …).
    public func signal(_ signal: Int32) {
        Foundation.kill(self.process.processIdentifier, signal)
    }
}
