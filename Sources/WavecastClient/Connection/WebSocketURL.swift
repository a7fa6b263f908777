/// A `ws://host[:port]/path[?query]` address, split into what a connection needs.
public struct WebSocketURL: Sendable, Hashable, CustomStringConvertible {
    /// The host name or address (without IPv6 brackets).
    public var host: String
    /// The TCP port (80 when the URL names none).
    public var port: Int
    /// The request target: path and query, at least `/`.
    public var target: String

    /// Creates an address from its parts.
    public init(host: String, port: Int, target: String = "/") {
        self.host = host
        self.port = port
        self.target = target
    }

    /// Parses `ws://host[:port]/path[?query]`.
    ///
    /// - Throws: ``WavecastClientError/invalidURL(_:)`` for another scheme (`wss://` needs TLS,
    ///   which this client does not speak), a missing host or a bad port.
    public init(parsing text: String) throws {
        let scheme = "ws://"
        guard text.hasPrefix(scheme) else { throw WavecastClientError.invalidURL(text) }
        let rest = text.dropFirst(scheme.count)
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        var target = String(rest.dropFirst(authority.count))
        if target.isEmpty || target.first == "?" { target = "/" + target }
        var host = Substring(authority)
        var port = 80
        if host.first == "[" {
            guard let close = host.firstIndex(of: "]") else { throw WavecastClientError.invalidURL(text) }
            let after = host[host.index(after: close)...]
            if after.first == ":" {
                guard let value = Int(after.dropFirst()) else { throw WavecastClientError.invalidURL(text) }
                port = value
            } else if !after.isEmpty {
                throw WavecastClientError.invalidURL(text)
            }
            host = host[host.index(after: host.startIndex)..<close]
        } else if let colon = host.lastIndex(of: ":") {
            guard let value = Int(host[host.index(after: colon)...]) else {
                throw WavecastClientError.invalidURL(text)
            }
            port = value
            host = host[..<colon]
        }
        guard !host.isEmpty, (1...65535).contains(port) else { throw WavecastClientError.invalidURL(text) }
        self.host = String(host)
        self.port = port
        self.target = target
    }

    /// The value of the `Host` header.
    public var hostHeader: String {
        let name = self.host.contains(":") ? "[\(self.host)]" : self.host
        return self.port == 80 ? name : "\(name):\(self.port)"
    }

    /// The URL as text.
    /// The address as text, with a `token=` query value hidden: it is a credential, and this is what
    /// logs and reports print.
    public var description: String { "ws://\(self.hostHeader)\(Self.redactingToken(in: self.target))" }

    /// `target` with the value of a `token` query parameter replaced by `…`.
    static func redactingToken(in target: String) -> String {
        guard let query = target.firstIndex(of: "?") else { return target }
        let parameters = target[target.index(after: query)...].split(separator: "&", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("token=") ? "token=…" : String($0) }
        return target[...query] + parameters.joined(separator: "&")
    }
}
