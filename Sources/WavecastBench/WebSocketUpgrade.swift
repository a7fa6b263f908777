/// Where a WebSocket client puts its listener token, as the gateway accepts it (issue 14).
public enum TokenPlacement: String, Sendable, Hashable, CaseIterable {
    /// No token.
    case none
    /// `?token=JWT` in the request target.
    case query
    /// `Authorization: Bearer JWT`.
    case header
    /// `Sec-WebSocket-Protocol: wavecast, token.JWT`.
    case subprotocol

    /// How the tables name it.
    public var label: String {
        switch self {
        case .none: "no token"
        case .query: "?token="
        case .header: "Authorization: Bearer"
        case .subprotocol: "subprotocol token.JWT"
        }
    }
}

/// The HTTP/1.1 upgrade request of one WebSocket handshake, and how to read the answer's status: what the
/// handshake measurement sends and checks, byte for byte, without a WebSocket library in the way.
public struct WebSocketUpgrade: Sendable, Hashable {
    /// `HOST:PORT`, for the `Host` header.
    public var host: String
    /// The path, `/ws/ID`.
    public var path: String
    /// The token, or `nil` for none.
    public var token: String?
    /// Where the token goes.
    public var placement: TokenPlacement

    /// A fixed `Sec-WebSocket-Key` (RFC 6455's example nonce): the server only echoes its digest, and every
    /// handshake sending the same bytes keeps the measurement free of random-number work.
    public static let key = "dGhlIHNhbXBsZSBub25jZQ=="

    /// A request for `path` on `host`, with `token` placed as `placement` says (`.none` or a `nil` token: none).
    public init(host: String, path: String, token: String?, placement: TokenPlacement) {
        self.host = host
        self.path = path
        self.token = placement == .none ? nil : token
        self.placement = token == nil ? .none : placement
    }

    /// The request's bytes, ending with the blank line.
    public var request: String {
        var target = self.path
        var extra = ""
        if let token {
            switch self.placement {
            case .none: break
            case .query: target += (target.contains("?") ? "&" : "?") + "token=" + token
            case .header: extra = "Authorization: Bearer \(token)\r\n"
            case .subprotocol: extra = "Sec-WebSocket-Protocol: wavecast, token.\(token)\r\n"
            }
        }
        return "GET \(target) HTTP/1.1\r\nHost: \(self.host)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: \(Self.key)\r\nSec-WebSocket-Version: 13\r\n" + extra + "\r\n"
    }

    /// Where the response's head ends (the index just past its blank line), or `nil` while it is incomplete.
    public static func headEnd(in bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 3..<bytes.count
        where bytes[index - 3] == 13 && bytes[index - 2] == 10 && bytes[index - 1] == 13 && bytes[index] == 10 {
            return index + 1
        }
        return nil
    }

    /// The status code of a response head (`HTTP/1.1 101 Switching Protocols` gives 101), or `nil` if the first
    /// line is not an HTTP status line.
    public static func status(of head: [UInt8]) -> Int? {
        let line = head.prefix { $0 != 13 && $0 != 10 }
        let words = line.split(separator: 32)
        guard words.count >= 2, words[0].starts(with: Array("HTTP/".utf8)), words[1].count == 3 else { return nil }
        return Int(String(decoding: words[1], as: UTF8.self))
    }
}
