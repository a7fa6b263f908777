import Foundation
import Testing
import WavecastCore
import ZeroMQ

/// Where the package's built executables are: beside the test bundle that is running.
enum BuiltProducts {
    static var directory: URL {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return executable.deletingLastPathComponent()
    }

    static func path(_ name: String) -> String {
        self.directory.appendingPathComponent(name).path
    }
}

/// A temporary directory removed when the test is done.
final class ScratchDirectory {
    let url: URL

    init() throws {
        self.url = FileManager.default.temporaryDirectory.appendingPathComponent("wavecast-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: self.url, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: self.url)
    }

    func path(_ name: String) -> String { self.url.appendingPathComponent(name).path }
}

/// Runs a command to completion (bounded by `timeout`) and returns its status and output.
@discardableResult
func runCommand(
    _ executable: String,
    _ arguments: [String],
    input: Data? = nil,
    directory: URL? = nil,
    timeout: Duration = .seconds(60)
) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : "/usr/bin/env")
    process.arguments = executable.hasPrefix("/") ? arguments : [executable] + arguments
    if let directory { process.currentDirectoryURL = directory }
    let stdout = Pipe()
    let stderr = Pipe()
    let stdin = Pipe()
    process.standardOutput = stdout
    process.standardError = stderr
    process.standardInput = stdin
    try process.run()
    if let input { stdin.fileHandleForWriting.write(input) }
    try stdin.fileHandleForWriting.close()
    // Read both pipes on other threads so a chatty child never blocks on a full pipe.
    let collected = OutputCollector(stdout: stdout, stderr: stderr)
    let deadline = ContinuousClock.now + timeout
    while process.isRunning && ContinuousClock.now < deadline {
        usleep(10_000)
    }
    if process.isRunning {
        process.terminate()
        process.waitUntilExit()
        Issue.record("\(executable) \(arguments.joined(separator: " ")) did not finish within \(timeout)")
    }
    process.waitUntilExit()
    let output = collected.finish()
    return (process.terminationStatus, output.stdout, output.stderr)
}

/// Drains a child's stdout and stderr pipes in the background.
final class OutputCollector: @unchecked Sendable {
    // Thread safety: each buffer is written by its reader thread only, and read after `group.wait()`.
    private var stdoutData = Data()
    private var stderrData = Data()
    private let group = DispatchGroup()

    init(stdout: Pipe, stderr: Pipe) {
        self.group.enter()
        DispatchQueue.global().async {
            self.stdoutData = stdout.fileHandleForReading.readDataToEndOfFile()
            self.group.leave()
        }
        self.group.enter()
        DispatchQueue.global().async {
            self.stderrData = stderr.fileHandleForReading.readDataToEndOfFile()
            self.group.leave()
        }
    }

    func finish() -> (stdout: String, stderr: String) {
        self.group.wait()
        return (String(decoding: self.stdoutData, as: UTF8.self), String(decoding: self.stderrData, as: UTF8.self))
    }
}

/// A `wavecast-encoder` process on 127.0.0.1 with kernel-chosen ports, stopped with SIGTERM on `stop()`.
final class EncoderProcess {
    let process = Process()
    let ingest: String
    let bus: String
    private let stderrPipe = Pipe()
    private let log: OutputCollector

    init(arguments: [String] = []) throws {
        self.process.executableURL = URL(fileURLWithPath: BuiltProducts.path("wavecast-encoder"))
        self.process.arguments =
            ["--ingest", "tcp://127.0.0.1:*", "--publish", "tcp://127.0.0.1:*", "--http", "off"] + arguments
        self.process.standardError = self.stderrPipe
        self.process.standardOutput = FileHandle.nullDevice
        try self.process.run()
        // The encoder logs its resolved endpoints once bound: read stderr until that line.
        var text = ""
        let handle = self.stderrPipe.fileHandleForReading
        let deadline = ContinuousClock.now + .seconds(20)
        var found: (String, String)?
        while found == nil && ContinuousClock.now < deadline {
            let data = handle.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
            found = Self.endpoints(in: text)
        }
        guard let (ingest, bus) = found else {
            self.process.terminate()
            throw HarnessError("wavecast-encoder did not report its endpoints; it said:\n\(text)")
        }
        self.ingest = ingest
        self.bus = bus
        self.log = OutputCollector(stdout: Pipe(), stderr: self.stderrPipe)
    }

    private static func endpoints(in text: String) -> (String, String)? {
        guard let ingest = Self.value(of: "ingest=", in: text), let publish = Self.value(of: "publish=", in: text)
        else { return nil }
        return (ingest, publish)
    }

    private static func value(of key: String, in text: String) -> String? {
        guard let range = text.range(of: key) else { return nil }
        let rest = text[range.upperBound...]
        let value = rest.prefix { !$0.isWhitespace }
        return value.hasPrefix("tcp://") && value.contains(where: \.isNumber) ? String(value) : nil
    }

    /// Sends SIGTERM and waits (bounded) for the exit status.
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

    deinit {
        if self.process.isRunning {
            kill(self.process.processIdentifier, SIGKILL)
            self.process.waitUntilExit()
        }
    }
}

/// A SUB socket on the bus that has seen a heartbeat, so nothing published afterwards is missed.
final class BusListener {
    let context: ZMQContext
    let socket: ZMQSocket

    init(bus: String) throws {
        self.context = try ZMQContext()
        self.socket = try ZMQSocket(context: self.context, type: .subscriber)
        try self.socket.subscribe()
        try self.socket.connect(bus)
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if try self.socket.waitReadable(timeoutMilliseconds: 200),
                let frames = try self.socket.receive(dontWait: true),
                let message = try? BusMessage(frames: frames), message.header.kind == .heartbeat
            {
                return
            }
        }
        throw HarnessError("no heartbeat on \(bus) within 10 s")
    }

    /// Collects `stream`'s messages until its `end` (or `timeout`), with each one's arrival time.
    func collect(stream: String, timeout: Duration) throws -> [(message: BusMessage, arrival: ContinuousClock.Instant)]
    {
        var messages: [(BusMessage, ContinuousClock.Instant)] = []
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard try self.socket.waitReadable(timeoutMilliseconds: 100),
                let frames = try self.socket.receive(dontWait: true)
            else { continue }
            let message = try BusMessage(frames: frames)
            guard message.streamID == stream else { continue }
            messages.append((message, ContinuousClock.now))
            if message.header.kind == .end { break }
        }
        return messages
    }
}

/// A setup failure of the harness itself.
struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Makes a spoken WAV file with espeak-ng, as a person testing Wavecast would.
func makeVoiceWAV(at path: String, text: String = "Wavecast streams voice in real time.") throws {
    let result = try runCommand("espeak-ng", ["-w", path, text])
    guard result.status == 0 else {
        throw HarnessError("espeak-ng failed (\(result.status)): \(result.stderr); install espeak-ng")
    }
}

/// The duration of an audio file as ffprobe reports it, in seconds.
func probeDuration(_ path: String) throws -> Double {
    let result = try runCommand(
        "ffprobe",
        ["-v", "error", "-show_entries", "format=duration", "-of", "default=nw=1:nk=1", path]
    )
    guard result.status == 0, let seconds = Double(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else {
        throw HarnessError("ffprobe could not read \(path): \(result.stderr)")
    }
    return seconds
}
