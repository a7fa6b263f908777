import ArgumentParser
import WavecastBench

#if canImport(Glibc)
import Glibc
#endif

/// `wavecast-bench handshakes`: the time of N sequential WebSocket handshakes on a running gateway, and the
/// gateway's CPU per handshake.
///
/// Each handshake is one fresh TCP connection to 127.0.0.1: connect, send the upgrade request (with the token where
/// `--placement` says), read the answer's head, close (with a reset: SO_LINGER 0, so no port waits in TIME_WAIT). Its time runs from before `connect` to the end of the
/// answer's head. The gateway's utime+stime from /proc over the whole series, ÷ N, is the CPU per handshake; it
/// includes accepting and closing the connection and what the gateway does for a new listener (it registers it
/// and may send it a burst of recent audio before the close is seen), and the gateway's idle background, which a
/// 1 s sample before the series gives (`idle_cpu_pct`). /proc counts CPU in 10 ms ticks: the series must last
/// seconds for the figure per handshake to mean anything. Prints one `handshakes key=value …` line.
struct HandshakesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "handshakes",
        abstract: "Time N sequential WebSocket handshakes on a gateway and its CPU per handshake."
    )

    @Option(help: "The gateway's port on 127.0.0.1.")
    var port: Int

    @Option(help: "The path to upgrade (/ws/ID).")
    var path = "/ws/demo"

    @Option(help: "How many handshakes, one after another.")
    var count = 1000

    @Option(help: "File holding the listener token (never on argv).")
    var tokenFile: String?

    @Option(help: "Where the token goes: none, query, header or subprotocol.")
    var placement = "query"

    @Option(help: "The gateway's process id, for its CPU time in /proc.")
    var serverPid: Int32?

    @Option(help: "The longest wait for one answer, in milliseconds.")
    var timeoutMs = 5000

    func validate() throws {
        guard (1...65535).contains(self.port) else { throw ValidationError("--port must be 1 to 65535") }
        guard (1...100_000).contains(self.count) else { throw ValidationError("--count must be 1 to 100000") }
        guard TokenPlacement(rawValue: self.placement) != nil else {
            throw ValidationError("--placement must be none, query, header or subprotocol, not '\(self.placement)'")
        }
        guard (1...60_000).contains(self.timeoutMs) else { throw ValidationError("--timeout-ms must be 1 to 60000") }
    }

    func run() throws {
        var token: String?
        if let tokenFile {
            let text = String(decoding: try SystemIO.readFile(tokenFile), as: UTF8.self)
            token = text.split(whereSeparator: \.isWhitespace).first.map(String.init)
        }
        let upgrade = WebSocketUpgrade(
            host: "127.0.0.1:\(self.port)",
            path: self.path,
            token: token,
            placement: TokenPlacement(rawValue: self.placement) ?? .none
        )
        let request = Array(upgrade.request.utf8)
        var idleCPU = "-"
        if let serverPid {
            let before = try ProcessSample(pid: serverPid)
            SystemIO.sleep(seconds: 1)
            let after = try ProcessSample(pid: serverPid)
            idleCPU = EncodeRun.fixed(100 * (after.cpuSeconds - before.cpuSeconds), 1)
        }
        let cpuBefore = try self.serverPid.map { (pid) throws(BenchError) in try ProcessSample(pid: pid) }
        let start = SystemIO.monotonicNanoseconds()
        var times: [Int64] = []
        var failures: [String: Int] = [:]
        for _ in 0..<self.count {
            switch self.handshake(request) {
            case .success(let nanoseconds): times.append(nanoseconds)
            case .failure(let failure): failures[failure.description, default: 0] += 1
            }
        }
        let seconds = Double(SystemIO.monotonicNanoseconds() - start) / 1e9
        let cpuAfter = try self.serverPid.map { (pid) throws(BenchError) in try ProcessSample(pid: pid) }
        let percentiles = Percentiles(times)
        func milliseconds(_ value: Int64?) -> String { value.map { EncodeRun.fixed(Double($0) / 1e6, 3) } ?? "-" }
        var perHandshake = "-"
        if let cpuBefore, let cpuAfter {
            perHandshake = EncodeRun.fixed(1e6 * (cpuAfter.cpuSeconds - cpuBefore.cpuSeconds) / Double(self.count), 1)
        }
        let commonest = failures.max { $0.value < $1.value }?.key ?? "none"
        let fields: [(String, String)] = [
            ("ok", "\(times.count)"), ("failed", "\(self.count - times.count)"), ("failure", commonest),
            ("p50_ms", milliseconds(percentiles.value(at: 0.5))), ("p99_ms", milliseconds(percentiles.value(at: 0.99))),
            ("max_ms", milliseconds(percentiles.maximum)), ("us_per_handshake", perHandshake),
            ("idle_cpu_pct", idleCPU), ("seconds", EncodeRun.fixed(seconds, 2)),
            ("per_s", EncodeRun.fixed(Double(self.count) / max(seconds, 1e-9), 0)),
        ]
        print("handshakes " + fields.map { "\($0.0)=\($0.1)" }.joined(separator: " "))
    }

    /// Why one handshake failed, as one token for the result line.
    private struct HandshakeFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// One handshake: its time in nanoseconds, from before `connect` to the answer's full head with status 101.
    private func handshake(_ request: [UInt8]) -> Result<Int64, HandshakeFailure> {
        let start = SystemIO.monotonicNanoseconds()
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return .failure(HandshakeFailure(description: "socket")) }
        defer { close(descriptor) }
        // Close with a reset rather than leaving this port in TIME_WAIT: thousands of handshakes in a row.
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(self.port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else { return .failure(HandshakeFailure(description: "connect_errno_\(errno)")) }
        let sent = request.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == request.count else { return .failure(HandshakeFailure(description: "send")) }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = start + Int64(self.timeoutMs) * 1_000_000
        // Bounded: each turn waits at most until the deadline, and the loop ends there.
        while WebSocketUpgrade.headEnd(in: answer) == nil {
            let remaining = Int32(max(0, (deadline - SystemIO.monotonicNanoseconds()) / 1_000_000))
            guard remaining > 0 else { return .failure(HandshakeFailure(description: "timeout")) }
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, remaining) > 0 else { continue }
            let received = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            guard received > 0 else { return .failure(HandshakeFailure(description: "closed")) }
            answer += buffer[0..<received]
        }
        let elapsed = SystemIO.monotonicNanoseconds() - start
        guard let status = WebSocketUpgrade.status(of: answer), status == 101 else {
            return .failure(HandshakeFailure(description: "status_\(WebSocketUpgrade.status(of: answer) ?? 0)"))
        }
        return .success(elapsed)
    }
}
