import Foundation

/// A `wavecast proxy` process (the bus proxy) on 127.0.0.1 with ports the kernel picks, stopped with SIGTERM by
/// ``stop(timeout:)`` or SIGKILL by ``kill()``.
public final class ProxyProcess: Sendable {
    /// The process and its log.
    public let child: ChildProcess
    /// Where encoders connect (`wavecast-encoder --bus-connect`), as the proxy resolved it.
    public let frontend: String
    /// Where gateways connect (`wavecast-gateway --bus`), as the proxy resolved it.
    public let backend: String

    /// Starts the proxy and waits until it has bound both sides (it logs each resolved endpoint).
    ///
    /// - Parameter arguments: More options (CURVE); they come after the loopback endpoints, so they may replace them.
    public init(arguments: [String] = []) throws {
        let child = try ChildProcess(
            BuiltProducts.path("wavecast"),
            ["proxy", "--frontend", "tcp://127.0.0.1:*", "--backend", "tcp://127.0.0.1:*"] + arguments
        )
        let endpoints = try child.waitForOutput("its endpoints") { text -> (String, String)? in
            guard let frontend = Self.endpoint(after: "frontend=", in: text),
                let backend = Self.endpoint(after: "backend=", in: text)
            else { return nil }
            return (frontend, backend)
        }
        self.child = child
        self.frontend = endpoints.0
        self.backend = endpoints.1
    }

    private static func endpoint(after key: String, in text: String) -> String? {
        guard let range = text.range(of: key) else { return nil }
        let value = text[range.upperBound...].prefix { !$0.isWhitespace }
        return value.hasPrefix("tcp://") && value.last?.isNumber == true ? String(value) : nil
    }

    /// SIGTERM, then the exit status (`nil` if it had to be killed).
    @discardableResult
    public func stop(timeout: Duration = .seconds(10)) -> Int32? { self.child.stop(timeout: timeout) }

    /// SIGKILL, as a crash would stop it.
    public func kill() { self.child.kill() }

    /// What it has logged.
    public func output(waiting: Bool = false) -> String { self.child.output(waiting: waiting) }
}
