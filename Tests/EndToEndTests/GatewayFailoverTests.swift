import Foundation
import Testing
import WavecastCore

/// Two real gateways behind one encoder: killing one with SIGKILL costs the other's listeners
/// nothing, and the killed one's listeners are served again when they reconnect.
@Suite(.serialized)
struct GatewayFailoverTests {
    @Test func killingAGatewayLosesNothingElsewhere() throws {
        let scratch = try ScratchDirectory()
        try makeVoiceWAV(
            at: scratch.path("voice.wav"),
            text: "Failover test. One gateway goes away; the other carries on."
        )
        let encoder = try EncoderProcess()
        _ = try BusListener(bus: encoder.bus)
        let gatewayA = try GatewayProcess(bus: encoder.bus)
        let gatewayB = try GatewayProcess(bus: encoder.bus)
        let feed = try runCommand(
            BuiltProducts.path("wavecast"),
            ["feed", scratch.path("voice.wav"), "--stream", "demo", "--loop", "--encoder", encoder.ingest]
        )
        #expect(feed.status == 0, "feed failed: \(feed.stderr)")

        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Scripts/failover_clients.py").path
        let clients = Process()
        clients.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        clients.arguments = ["python3", script, gatewayA.webSocketURL("demo"), gatewayB.webSocketURL("demo"), "5"]
        let output = Pipe()
        let errors = Pipe()
        clients.standardOutput = output
        clients.standardError = errors
        try clients.run()
        defer { if clients.isRunning { clients.terminate() } }

        // Wait for every listener's first chunk, then kill gateway A without warning.
        var text = ""
        let readyDeadline = ContinuousClock.now + .seconds(20)
        while !text.contains("ready\n") && ContinuousClock.now < readyDeadline {
            let data = output.fileHandleForReading.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
        }
        try #require(text.contains("ready\n"), "listeners never got a chunk: \(text)")
        gatewayA.kill()

        let finishDeadline = ContinuousClock.now + .seconds(40)
        while clients.isRunning && ContinuousClock.now < finishDeadline { usleep(50_000) }
        text += String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let summaryLine = try #require(text.split(separator: "\n").last { $0.hasPrefix("{") })
        let summary = try #require(
            try JSONSerialization.jsonObject(with: Data(summaryLine.utf8)) as? [String: [String: Any]]
        )
        for (name, record) in summary {
            let seqs = record["seqs"] as? [Int] ?? []
            if name.hasPrefix("b") {
                // B's listeners never reconnected and saw every sequence number, in order.
                #expect(record["reconnected"] as? Bool == false, "\(name) was disconnected")
                #expect(seqs.count >= 40, "\(name) got \(seqs.count) chunks")
                #expect(seqs == Array((seqs.first ?? 0)..<((seqs.first ?? 0) + seqs.count)), "\(name) lost chunks")
            } else {
                #expect(record["reconnected"] as? Bool == true, "\(name) never noticed gateway A died")
                #expect((record["after_reconnect"] as? Int ?? 0) >= 10, "\(name) was not served after reconnecting")
            }
        }
        #expect(gatewayB.stop() == 0)
        #expect(encoder.stop() == 0)
    }
}

/// A `wavecast-gateway` process on 127.0.0.1 with a kernel-chosen port.
final class GatewayProcess {
    let process = Process()
    let port: Int
    private let stderrPipe = Pipe()
    private var log: OutputCollector?

    init(bus: String, arguments: [String] = []) throws {
        self.process.executableURL = URL(fileURLWithPath: BuiltProducts.path("wavecast-gateway"))
        self.process.arguments = ["--bus", bus, "--listen", "127.0.0.1:0"] + arguments
        self.process.standardError = self.stderrPipe
        self.process.standardOutput = FileHandle.nullDevice
        try self.process.run()
        var text = ""
        var port: Int?
        let deadline = ContinuousClock.now + .seconds(20)
        while port == nil && ContinuousClock.now < deadline {
            let data = self.stderrPipe.fileHandleForReading.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
            if let range = text.range(of: "listen=127.0.0.1:") {
                port = Int(text[range.upperBound...].prefix { $0.isNumber })
            }
        }
        guard let port else {
            self.process.terminate()
            throw HarnessError("wavecast-gateway did not report its port; it said:\n\(text)")
        }
        self.port = port
        self.log = OutputCollector(stdout: Pipe(), stderr: self.stderrPipe)
    }

    func webSocketURL(_ stream: String) -> String { "ws://127.0.0.1:\(self.port)/ws/\(stream)" }

    /// SIGKILL, as a crash or an OOM killer would.
    func kill() {
        Foundation.kill(self.process.processIdentifier, SIGKILL)
        self.process.waitUntilExit()
    }

    /// SIGTERM, and the exit status (nil if it had to be killed).
    func stop(timeout: Duration = .seconds(10)) -> Int32? {
        if self.process.isRunning { Foundation.kill(self.process.processIdentifier, SIGTERM) }
        let deadline = ContinuousClock.now + timeout
        while self.process.isRunning && ContinuousClock.now < deadline { usleep(10_000) }
        if self.process.isRunning {
            Foundation.kill(self.process.processIdentifier, SIGKILL)
            self.process.waitUntilExit()
            return nil
        }
        return self.process.terminationStatus
    }

    deinit {
        if self.process.isRunning {
            Foundation.kill(self.process.processIdentifier, SIGKILL)
            self.process.waitUntilExit()
        }
    }
}
