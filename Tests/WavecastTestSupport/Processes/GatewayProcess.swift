import Foundation

/// A `wavecast-gateway` process on 127.0.0.1 and a port the kernel picks, stopped with SIGTERM by
/// ``stop(timeout:)`` or SIGKILL by ``kill()``, whose every log line is kept.
public final class GatewayProcess: Sendable {
    /// The process and its log.
    public let child: ChildProcess
    /// The port it listens on (read from its "Gateway listening" log line).
    public let port: Int

    /// Starts a gateway subscribed to `bus` with `--listen 127.0.0.1:0` and waits until it listens.
    public convenience init(bus: String, arguments: [String] = []) throws {
        try self.init(buses: [bus], arguments: arguments)
    }

    /// Starts a gateway subscribed to every endpoint in `buses` with `--listen 127.0.0.1:0` and waits until it
    /// listens. With `hostsFile`, the gateway runs in a mount namespace of its own in which that file is
    /// `/etc/hosts` (as `ip netns exec` does with `/etc/netns/NAME/hosts`), so the names it resolves are the
    /// test's, and change when the test rewrites the file in place. Needs root, as the test runs here.
    public init(buses: [String], arguments: [String] = [], hostsFile: String? = nil) throws {
        let gateway = BuiltProducts.path("wavecast-gateway")
        let gatewayArguments = buses.flatMap { ["--bus", $0] } + ["--listen", "127.0.0.1:0"] + arguments
        let child =
            if let hostsFile {
                try ChildProcess(
                    "/usr/bin/unshare",
                    [
                        "--mount", "--", "/bin/sh", "-c", #"mount --bind "$0" /etc/hosts && exec "$@""#, hostsFile,
                        gateway,
                    ]
                        + gatewayArguments
                )
            } else {
                try ChildProcess(gateway, gatewayArguments)
            }
        self.port = try child.waitForOutput("its port") { text -> Int? in
            guard let line = text.split(separator: "\n").first(where: { $0.contains("Gateway listening") }),
                let range = line.range(of: "listen=")
            else { return nil }
            return line[range.upperBound...].prefix { !$0.isWhitespace }.split(separator: ":").last.flatMap { Int($0) }
        }
        self.child = child
    }

    /// The WebSocket URL of `stream` on this gateway.
    public func webSocketURL(_ stream: String) -> String { "ws://127.0.0.1:\(self.port)/ws/\(stream)" }

    /// `GET path` on the gateway.
    public func get(_ path: String) throws -> RawWebSocket.HTTPResponse {
        try RawWebSocket.get(port: self.port, path: path)
    }

    /// Waits until `GET /readyz` answers 200 (the gateway heard the encoder's heartbeat).
    public func waitUntilReady(timeout: Duration = .seconds(10)) throws {
        try self.waitForStatus("/readyz", 200, timeout: timeout)
    }

    /// Waits until `GET path` answers `status`.
    public func waitForStatus(_ path: String, _ status: Int, timeout: Duration) throws {
        var last = "no answer"
        do {
            _ = try pollBlocking(for: "\(path) to answer \(status)", timeout: timeout, every: .milliseconds(50)) {
                () -> Bool? in
                guard let response = try? self.get(path) else { return nil }
                last = "\(response.status) \(response.body)"
                return response.status == status ? true : nil
            }
        } catch {
            throw HarnessError(
                "wavecast-gateway on port \(self.port): \(path) did not answer \(status) within \(timeout) "
                    + "(last: \(last)); it said:\n\(self.output())"
            )
        }
    }

    /// SIGTERM, then the exit status (`nil` if it had to be killed).
    @discardableResult
    public func stop(timeout: Duration = .seconds(10)) -> Int32? { self.child.stop(timeout: timeout) }

    /// SIGKILL, as a crash or the OOM killer would.
    public func kill() { self.child.kill() }

    /// What it has logged (all of it once it has exited, when `waiting`).
    public func output(waiting: Bool = false) -> String { self.child.output(waiting: waiting) }
}
