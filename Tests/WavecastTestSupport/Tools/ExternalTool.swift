public import Foundation
import NIOConcurrencyHelpers
import WavecastCore

/// What a finished command did: its exit status and everything it wrote.
public struct CommandResult: Sendable {
    /// The exit status (or the signal number, when a signal ended it).
    public var status: Int32
    /// Its standard output, as bytes.
    public var output: [UInt8]
    /// Its standard error, as text.
    public var stderr: String

    /// Its standard output, as text.
    public var stdout: String { String(decoding: self.output, as: UTF8.self) }
}

/// Runs the command-line tools the tests check against (ffmpeg, sox, espeak-ng, curl, python3, the package's own
/// executables), bounded in time, reading their output on threads of their own so a chatty child never blocks.
public enum ExternalTool {
    /// The absolute path of `name` on `PATH` (or `name` itself when it is a path).
    ///
    /// - Throws: ``HarnessError`` saying it is missing: install it rather than skip the test.
    public static func locate(_ name: String) throws -> String {
        if name.contains("/") { return name }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) {
                return candidate
            }
        }
        throw HarnessError(
            "'\(name)' is not installed (not on PATH \(path)); the test needs it: install it (scripts/test does) "
                + "rather than skip the test"
        )
    }

    /// Runs `executable` with `arguments` (and `environment` added to the test's own) to completion and returns
    /// what it did, whatever its status.
    ///
    /// - Throws: ``HarnessError`` when it cannot start, or has not finished within `timeout` (it is then killed).
    @discardableResult
    public static func run(
        _ executable: String,
        _ arguments: [String],
        directory: URL? = nil,
        environment: [String: String] = [:],
        timeout: Duration = .seconds(60)
    ) throws -> CommandResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.locate(executable))
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let collected = OutputCollector(stdout: stdout, stderr: stderr)
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline {
            usleep(5_000)
        }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            // A grandchild may still hold the pipes open: give up on its output after a moment.
            let output = collected.finish(waitingAtMost: .seconds(2))
            throw HarnessError(
                "\(executable) \(arguments.joined(separator: " ")) did not finish within \(timeout); "
                    + "it said: \(output.stderr)"
            )
        }
        process.waitUntilExit()
        let output = collected.finish()
        return CommandResult(status: process.terminationStatus, output: output.stdout, stderr: output.stderr)
    }

    /// Runs `executable` and returns its standard output.
    ///
    /// - Throws: ``HarnessError`` with its standard error when it exits with a status other than 0.
    @discardableResult
    public static func output(
        _ executable: String,
        _ arguments: [String],
        timeout: Duration = .seconds(60)
    ) throws -> [UInt8] {
        let result = try Self.run(executable, arguments, timeout: timeout)
        try Self.check(result, "\(executable) \(arguments.joined(separator: " "))")
        return result.output
    }

    /// Throws ``HarnessError`` naming `what` and quoting its standard error when `result` is a failure.
    @discardableResult
    public static func check(_ result: CommandResult, _ what: String) throws -> CommandResult {
        guard result.status == 0 else {
            throw HarnessError("\(what) exited with \(result.status): \(result.stderr)")
        }
        return result
    }
}

/// Drains a child's standard output and error on two threads of their own.
final class OutputCollector: Sendable {
    private let stdout = NIOLockedValueBox<[UInt8]>([])
    private let stderr = NIOLockedValueBox<[UInt8]>([])
    private let done = DispatchGroup()

    init(stdout: Pipe, stderr: Pipe) {
        for (pipe, box) in [(stdout, self.stdout), (stderr, self.stderr)] {
            let handle = pipe.fileHandleForReading
            self.done.enter()
            let thread = Thread { [done = self.done] in
                let data = handle.readDataToEndOfFile()
                box.withLockedValue { $0 = [UInt8](data) }
                done.leave()
            }
            thread.name = "test-output"
            thread.start()
        }
    }

    /// Waits until both pipes reached their end (or `limit` passed) and returns what came through them.
    func finish(waitingAtMost limit: Duration = .seconds(3600)) -> (stdout: [UInt8], stderr: String) {
        _ = self.done.wait(timeout: .now() + .nanoseconds(Int(clamping: limit.wholeNanoseconds)))
        return (self.stdout.withLockedValue { $0 }, String(decoding: self.stderr.withLockedValue { $0 }, as: UTF8.self))
    }
}
