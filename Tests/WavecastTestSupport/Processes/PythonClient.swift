import Foundation

/// A client we did not write (Python `websockets`, `aiohttp`, pyzmq, streamdouble) run as a child process.
///
/// The script may print a line once it is ready (an inline client prints `connected` once its handshake is done),
/// does its work, and prints one JSON line, its report, last.
public final class PythonClient: Sendable {
    /// The process and its log.
    public let child: ChildProcess
    private let name: String

    /// Starts `python3 -c script arguments…` and waits (bounded) until it prints `connected`.
    ///
    /// - Parameter name: What the client is, for error messages.
    public convenience init(
        _ name: String,
        script: String,
        arguments: [String],
        timeout: Duration = .seconds(15)
    ) throws {
        try self.init(name, python: ["-c", script] + arguments, readyLine: "connected", timeout: timeout)
    }

    /// Starts `python3 path arguments…`, a script file, and, given a `readyLine`, waits (bounded) until it prints it.
    ///
    /// - Parameters:
    ///   - name: What the client is, for error messages.
    ///   - path: The script's path.
    ///   - environment: Variables added to the script's environment (credentials stay out of its arguments).
    ///   - readyLine: A line the script prints when the test may go on; `nil` to go on at once.
    public convenience init(
        _ name: String,
        scriptAt path: String,
        arguments: [String],
        environment: [String: String]? = nil,
        readyLine: String? = nil,
        timeout: Duration = .seconds(15)
    ) throws {
        try self.init(
            name,
            python: [path] + arguments,
            environment: environment,
            readyLine: readyLine,
            timeout: timeout
        )
    }

    private init(
        _ name: String,
        python arguments: [String],
        environment: [String: String]? = nil,
        readyLine: String?,
        timeout: Duration
    ) throws {
        self.name = name
        self.child = try ChildProcess("python3", arguments, environment: environment)
        if let readyLine {
            _ = try self.child.waitForOutput("that the \(name) client is ready (\"\(readyLine)\")", timeout: timeout) {
                $0.split(separator: "\n").contains { $0 == readyLine } ? true : nil
            }
        }
    }

    /// Waits (bounded) for the script to finish and returns its JSON report.
    ///
    /// - Throws: ``HarnessError`` with everything it printed, when it failed or printed no JSON object.
    public func report(timeout: Duration = .seconds(40)) throws -> [String: Any] {
        if self.child.waitForExit(timeout: timeout) == nil { self.child.kill() }
        let output = self.child.output(waiting: true)
        guard self.child.process.terminationStatus == 0,
            let report = try? JSONSerialization.jsonObject(with: Data((self.reportLine ?? "").utf8)) as? [String: Any]
        else {
            throw HarnessError(
                "the \(self.name) client failed (status \(self.child.process.terminationStatus)):\n\(output)"
            )
        }
        return report
    }

    /// The last line the script printed that starts a JSON object: its report, once it has finished.
    public var reportLine: String? {
        self.child.output(waiting: true).split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init)
    }

    /// Fails with an instruction to install `module` when python3 cannot import it.
    public static func requireModule(_ module: String) throws {
        let check = try ExternalTool.run("python3", ["-c", "import \(module)"])
        guard check.status == 0 else {
            throw HarnessError("Python \(module) is missing (scripts/test installs it): \(check.stderr)")
        }
    }
}
