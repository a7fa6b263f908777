#if canImport(Glibc)
import Glibc
#endif

/// A `tcp://HOST:PORT` endpoint, split so a host name can be resolved to every address it has.
///
/// libzmq resolves a name in `connect` itself but keeps only the first address, so a name that
/// stands for several peers (a Kubernetes headless Service, a DNS round robin) reaches one of
/// them. Resolving it here and connecting to each address reaches them all.
public struct TCPEndpoint: Hashable, Sendable, CustomStringConvertible {
    /// The host: a name, an IPv4 or IPv6 address (without brackets), or `*` when binding.
    public var host: String
    /// The TCP port.
    public var port: Int

    /// Creates an endpoint from its parts.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `tcp://HOST:PORT` (IPv6 in brackets, `tcp://[::1]:5556`); `nil` for any other transport
    /// or a malformed endpoint.
    public init?(_ endpoint: String) {
        guard endpoint.hasPrefix("tcp://") else { return nil }
        let address = endpoint.dropFirst("tcp://".count)
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
            (1...65_535).contains(port)
        else { return nil }
        var host = address[..<colon]
        if host.hasPrefix("[") && host.hasSuffix("]") {
            host = host.dropFirst().dropLast()
        }
        guard !host.isEmpty, !host.contains(where: { $0 == "/" || $0 == "[" || $0 == "]" || $0 == " " }) else {
            return nil
        }
        self.host = String(host)
        self.port = port
    }

    /// The endpoint as libzmq takes it.
    public var description: String {
        self.host.contains(":") ? "tcp://[\(self.host)]:\(self.port)" : "tcp://\(self.host):\(self.port)"
    }

    /// True when the host is an address (or `*`), so there is nothing to resolve.
    public var hasNumericHost: Bool {
        if self.host == "*" { return true }
        var ipv4 = in_addr()
        var ipv6 = in6_addr()
        return inet_pton(AF_INET, self.host, &ipv4) == 1 || inet_pton(AF_INET6, self.host, &ipv6) == 1
    }

    /// Every address the host resolves to now, as endpoints with the same port, sorted and without repeats.
    ///
    /// Blocks for as long as the system's resolver takes (it may wait on DNS): call it off any thread
    /// that serves traffic.
    ///
    /// - Throws: ``EndpointResolutionError`` when the name does not resolve.
    public func resolved() throws(EndpointResolutionError) -> [TCPEndpoint] {
        if self.hasNumericHost { return [self] }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(self.host, nil, &hints, &list)
        guard status == 0 else {
            throw EndpointResolutionError(host: self.host, reason: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(list) }
        var addresses: Set<String> = []
        var entry = list
        while let info = entry?.pointee {
            entry = info.ai_next
            guard let address = info.ai_addr else { continue }
            var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
            switch info.ai_family {
            case AF_INET:
                address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { ipv4 in
                    var raw = ipv4.pointee.sin_addr
                    _ = inet_ntop(AF_INET, &raw, &text, socklen_t(text.count))
                }
            case AF_INET6:
                address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { ipv6 in
                    var raw = ipv6.pointee.sin6_addr
                    _ = inet_ntop(AF_INET6, &raw, &text, socklen_t(text.count))
                }
            default:
                continue
            }
            let length = text.firstIndex(of: 0) ?? text.count
            addresses.insert(String(decoding: text[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        guard !addresses.isEmpty else {
            throw EndpointResolutionError(host: self.host, reason: "no IPv4 or IPv6 address")
        }
        return addresses.sorted().map { TCPEndpoint(host: $0, port: self.port) }
    }
}

/// A host name that did not resolve, with the resolver's reason.
public struct EndpointResolutionError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The name that was looked up.
    public var host: String
    /// Why it failed, as the resolver says (`gai_strerror`).
    public var reason: String

    /// Creates the error for `host`.
    public init(host: String, reason: String) {
        self.host = host
        self.reason = reason
    }

    public var description: String { "cannot resolve '\(self.host)': \(self.reason)" }
}
