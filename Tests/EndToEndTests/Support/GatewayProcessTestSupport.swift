import Foundation
import NIOConcurrencyHelpers

/// A `wavecast-gateway` process on 127.0.0.1 and a port the kernel picks, stopped with SIGTERM on `stop()`,
/// whose every log line is kept.
///
/// It is started with `--listen 127.0.0.1:0` and its port read from the "Gateway listening" log line
/// (`listen=127.0.0.1:PORT`). Its output is drained all along, so a failure can show what it said.
final class LoggedGatewayProcess {
    let process = Process()
    let port: Int
    private let output = Pipe()
    private let log = ProcessLog()

    init(bus: String, arguments: [String] = []) throws {
        self.process.executableURL = URL(fileURLWithPath: BuiltProducts.path("wavecast-gateway"))
        self.process.arguments =
            ["--bus", bus, "--listen", "127.0.0.1:0", "--jitter-ms", "20", "--burst-ms", "300"] + arguments
        self.process.standardOutput = self.output
        self.process.standardError = self.output
        try self.process.run()
        let handle = self.output.fileHandleForReading
        let log = self.log
        let thread = Thread {
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                log.append(data)
            }
            log.drained.signal()
        }
        thread.name = "gateway-log"
        thread.start()
        let process = self.process
        let deadline = ContinuousClock.now + .seconds(20)
        var port: Int?
        while port == nil && ContinuousClock.now < deadline && process.isRunning {
            port = Self.port(in: log.text)
            if port == nil { usleep(20_000) }
        }
        port = port ?? Self.port(in: log.text)
        guard let port else {
            process.terminate()
            throw HarnessError("wavecast-gateway did not report its port; it said:\n\(log.text)")
        }
        self.port = port
    }

    private static func port(in text: String) -> Int? {
        guard let line = text.split(separator: "\n").first(where: { $0.contains("Gateway listening") }),
            let range = line.range(of: "listen=")
        else { return nil }
        let value = line[range.upperBound...].prefix { !$0.isWhitespace }
        return value.split(separator: ":").last.flatMap { Int($0) }
    }

    /// What the process has logged so far (all of it once it has exited, when `waiting`).
    func output(waiting: Bool = false) -> String {
        if waiting && !self.process.isRunning {
            _ = self.log.drained.wait(timeout: .now() + 2)
            self.log.drained.signal()
        }
        return self.log.text
    }

    /// Sends SIGTERM and waits (bounded) for the exit status; `nil` if it had to be killed.
    func stop(timeout: Duration = .seconds(10)) -> Int32? {
        if self.process.isRunning { kill(self.process.processIdentifier, SIGTERM) }
        let deadline = ContinuousClock.now + timeout
        while self.process.isRunning && ContinuousClock.now < deadline { usleep(10_000) }
        if self.process.isRunning {
            kill(self.process.processIdentifier, SIGKILL)
            self.process.waitUntilExit()
            return nil
        }
        return self.process.terminationStatus
    }

    /// Waits until `GET /readyz` answers 200 (the gateway saw the encoder's heartbeat).
    func waitUntilReady(timeout: Duration = .seconds(10)) throws {
        let deadline = ContinuousClock.now + timeout
        var last = ""
        while ContinuousClock.now < deadline {
            let result = try runCommand(
                "curl",
                ["-s", "-m", "5", "-w", "\n%{http_code}", "http://127.0.0.1:\(self.port)/readyz"],
                timeout: .seconds(10)
            )
            last = result.stdout
            if result.stdout.hasSuffix("\n200") { return }
            usleep(50_000)
        }
        throw HarnessError(
            "wavecast-gateway on port \(self.port) was not ready within \(timeout) (last /readyz: \(last)); "
                + "it said:\n\(self.output())"
        )
    }

    deinit {
        if self.process.isRunning {
            kill(self.process.processIdentifier, SIGKILL)
            self.process.waitUntilExit()
        }
    }
}

/// A child's output, appended by the thread that drains its pipe.
final class ProcessLog: Sendable {
    private let buffer = NIOLockedValueBox<String>("")
    /// Signalled when the pipe reached its end (the child exited).
    let drained = DispatchSemaphore(value: 0)

    func append(_ data: Data) {
        self.buffer.withLockedValue { $0 += String(decoding: data, as: UTF8.self) }
    }

    var text: String { self.buffer.withLockedValue { $0 } }
}

/// A WebSocket client we did not write: Python's `websockets`, run as a child process.
///
/// The script prints `connected` once the handshake is done, then one JSON line of what it saw.
final class PythonWebSocketClient {
    let process = Process()
    private let stdout = Pipe()
    private let collected: OutputCollector
    private var seen = ""

    /// In `stream` mode it reads events until `end` and writes the decoded payloads to `mp3`; in
    /// `until-closed` mode it reads until the server closes, and reports the close code.
    init(url: String, mode: String, mp3: String = "/dev/null") throws {
        self.process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        self.process.arguments = ["python3", "-c", Self.script, url, mode, mp3]
        self.process.standardOutput = self.stdout
        let stderr = Pipe()
        self.process.standardError = stderr
        try self.process.run()
        // Wait for "connected" before anything is published, then hand the pipes to a collector.
        let handle = self.stdout.fileHandleForReading
        let deadline = ContinuousClock.now + .seconds(15)
        while !self.seen.contains("connected\n") && ContinuousClock.now < deadline {
            let data = handle.availableData
            if data.isEmpty { break }
            self.seen += String(decoding: data, as: UTF8.self)
        }
        self.collected = OutputCollector(stdout: self.stdout, stderr: stderr)
        guard self.seen.contains("connected\n") else {
            self.process.terminate()
            let output = self.collected.finish()
            throw HarnessError("the Python client did not connect: \(self.seen)\(output.stdout)\(output.stderr)")
        }
    }

    /// Waits (bounded) for the script to finish and returns its JSON report.
    func report(timeout: Duration = .seconds(30)) throws -> [String: Any] {
        let deadline = ContinuousClock.now + timeout
        while self.process.isRunning && ContinuousClock.now < deadline { usleep(10_000) }
        if self.process.isRunning { self.process.terminate() }
        self.process.waitUntilExit()
        let output = self.collected.finish()
        let text = (self.seen + output.stdout).split(separator: "\n").last.map(String.init) ?? ""
        guard self.process.terminationStatus == 0,
            let report = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        else {
            throw HarnessError(
                "the Python client failed (\(self.process.terminationStatus)): \(self.seen)\(output.stdout)\(output.stderr)"
            )
        }
        return report
    }

    static let script = #"""
        import base64, json, sys
        from websockets.sync.client import connect
        from websockets.exceptions import ConnectionClosed

        url, mode, mp3 = sys.argv[1], sys.argv[2], sys.argv[3]
        report = {"events": [], "seq": [], "sync": [], "close_code": None, "close_reason": None}
        payloads = bytearray()
        with connect(url, open_timeout=10, close_timeout=5) as ws:
            print("connected", flush=True)
            try:
                while True:
                    message = ws.recv(timeout=30)
                    event = json.loads(message)
                    report["events"].append(event["event"])
                    if event["event"] == "start":
                        report["start"] = event
                    elif event["event"] == "chunk":
                        media = event["media"]
                        report["seq"].append(media["seq"])
                        report["sync"].append(media["is_sync"])
                        payloads += base64.b64decode(media["payload"], validate=True)
                    elif event["event"] == "end":
                        report["end"] = event
                        if mode == "stream":
                            break
            except ConnectionClosed as closed:
                if closed.rcvd is not None:
                    report["close_code"] = closed.rcvd.code
                    report["close_reason"] = closed.rcvd.reason
        with open(mp3, "wb") as out:
            out.write(payloads)
        print(json.dumps(report), flush=True)
        """#
}
