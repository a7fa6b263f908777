import Foundation

/// A `wavecast-encoder` process on 127.0.0.1 with ports the kernel picks (unless `arguments` name them), no HTTP
/// server unless asked, stopped with SIGTERM by ``stop(timeout:)`` or SIGKILL by ``kill()``.
public final class EncoderProcess: Sendable {
    /// The process and its log.
    public let child: ChildProcess
    /// The ingest endpoint feeders connect to, as the encoder resolved it.
    public let ingest: String
    /// The bus endpoint gateways subscribe to, as the encoder resolved it; `off` when it binds none
    /// (`--publish off`: it only publishes to a bus proxy).
    public let bus: String

    /// The arguments every test encoder starts with; later ones in `arguments` win.
    public static let defaultArguments = [
        "--ingest", "tcp://127.0.0.1:*", "--publish", "tcp://127.0.0.1:*", "--http", "off",
    ]

    /// Starts the encoder and waits until it has bound its sockets (it logs the resolved endpoints).
    public init(arguments: [String] = []) throws {
        let child = try ChildProcess(BuiltProducts.path("wavecast-encoder"), Self.defaultArguments + arguments)
        let endpoints = try child.waitForOutput("its endpoints") { text -> (String, String)? in
            guard let ingest = Self.endpoint(after: "ingest=", in: text),
                let publish = text.contains("publish=off") ? "off" : Self.endpoint(after: "publish=", in: text)
            else { return nil }
            return (ingest, publish)
        }
        self.child = child
        self.ingest = endpoints.0
        self.bus = endpoints.1
    }

    private static func endpoint(after key: String, in text: String) -> String? {
        guard let range = text.range(of: key) else { return nil }
        let value = text[range.upperBound...].prefix { !$0.isWhitespace }
        return value.hasPrefix("tcp://") && value.last?.isNumber == true ? String(value) : nil
    }

    /// Waits until a heartbeat comes over the bus: the encoder is up and publishing.
    public func waitForHeartbeat(timeout: Duration = .seconds(10)) throws {
        let tap = try BusTap(endpoint: self.bus)
        defer { tap.stopBlocking() }
        try tap.waitForHeartbeatBlocking(timeout: timeout)
    }

    /// SIGTERM, then the exit status (`nil` if it had to be killed).
    @discardableResult
    public func stop(timeout: Duration = .seconds(10)) -> Int32? { self.child.stop(timeout: timeout) }

    /// SIGKILL, as a crash would stop it.
    public func kill() { self.child.kill() }

    /// What it has logged.
    public func output(waiting: Bool = false) -> String { self.child.output(waiting: waiting) }
}
