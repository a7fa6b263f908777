import Foundation

/// A client we did not write (Python `websockets`, `aiohttp`, pyzmq) run as a child process.
///
/// The script prints `connected` once it is ready (its handshake is done), does its work, and prints one JSON
/// line, its report, last.
public final class PythonClient: Sendable {
    /// The process and its log.
    public let child: ChildProcess
    private let name: String

    /// Starts `python3 -c script arguments…` and waits (bounded) until it prints `connected`.
    ///
    /// - Parameter name: What the client is, for error messages.
    public init(_ name: String, script: String, arguments: [String], timeout: Duration = .seconds(15)) throws {
        self.name = name
        self.child = try ChildProcess("python3", ["-c", script] + arguments)
        _ = try self.child.waitForOutput("that the \(name) client connected", timeout: timeout) {
            $0.split(separator: "\n").contains("connected") ? true : nil
        }
    }

    /// Waits (bounded) for the script to finish and returns its JSON report.
    ///
    /// - Throws: ``HarnessError`` with everything it printed, when it failed or printed no JSON object.
    public func report(timeout: Duration = .seconds(40)) throws -> [String: Any] {
        if self.child.waitForExit(timeout: timeout) == nil { self.child.kill() }
        let output = self.child.output(waiting: true)
        let line = output.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? ""
        guard self.child.process.terminationStatus == 0,
            let report = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        else {
            throw HarnessError(
                "the \(self.name) client failed (status \(self.child.process.terminationStatus)):\n\(output)"
            )
        }
        return report
    }

    /// Fails with an instruction to install `module` when python3 cannot import it.
    public static func requireModule(_ module: String) throws {
        let check = try ExternalTool.run("python3", ["-c", "import \(module)"])
        guard check.status == 0 else {
            throw HarnessError("Python \(module) is missing (scripts/test installs it): \(check.stderr)")
        }
    }
}
