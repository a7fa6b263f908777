import NIOHTTP1
import WavecastCore
import WavecastTokens

/// Decides whether a request may become a WebSocket listener, and if not, exactly why.
///
/// RFC 6455 §4.2.1: a GET with `Upgrade: websocket`, `Connection: Upgrade`, a
/// `Sec-WebSocket-Key` that is base64 of 16 bytes and `Sec-WebSocket-Version: 13`. Anything else
/// gets a complete HTTP error response naming the problem. Pure: no I/O.
enum HandshakeCheck {
    /// The verdict on one request.
    enum Outcome: Equatable {
        /// Upgrade, and serve `stream`; `compat` selects the prototype's message shape; `expires` is when
        /// the listener's token runs out (seconds since 1970), `nil` without tokens; `resume` is where a
        /// reconnecting client left off (`?resume=EPOCH:SEQ`).
        case accept(stream: StreamID, compat: Bool, expires: Int64? = nil, resume: ResumePoint? = nil)
        /// Refuse with this status, a reason for the body, and extra headers.
        case reject(status: HTTPResponseStatus, reason: String, headers: [(String, String)])

        static func == (lhs: Outcome, rhs: Outcome) -> Bool {
            switch (lhs, rhs) {
            case (.accept(let a, let b, let e, let r), .accept(let c, let d, let f, let s)):
                a == c && b == d && e == f && r == s
            case (.reject(let a, let b, _), .reject(let c, let d, _)): a == c && b == d
            default: false
            }
        }
    }

    /// What a `/ws` or `/ws/{id}` request asks for.
    struct Route: Sendable, Hashable {
        var stream: StreamID
        /// `?compat=seed`: the prototype's message shape.
        var compat: Bool
        /// `?resume=EPOCH:SEQ`: where a reconnecting client left off.
        var resume: ResumePoint?
    }

    /// The stream a `/ws` or `/ws/{id}` path names, and what its query asks for (`compat=seed`,
    /// `resume=EPOCH:SEQ`); `nil` for other paths.
    static func route(uri: String, defaultStream: StreamID) -> Result<Route, HandshakeRejection>? {
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = parts[0]
        let query = parts.count > 1 ? parts[1] : ""
        let stream: StreamID
        if path == "/ws" || path == "/ws/" {
            stream = defaultStream
        } else {
            guard path.hasPrefix("/ws/") else { return nil }
            do {
                stream = try StreamID(String(path.dropFirst(4)))
            } catch {
                return .failure(
                    HandshakeRejection(status: .badRequest, reason: "invalid stream id in the path: \(error)")
                )
            }
        }
        var route = Route(stream: stream, compat: false)
        for item in query.split(separator: "&") {
            if item == "compat=seed" {
                route.compat = true
            } else if item.hasPrefix("resume=") {
                do {
                    route.resume = try ResumePoint(parsing: item.dropFirst("resume=".count))
                } catch {
                    return .failure(error)
                }
            }
        }
        return .success(route)
    }

    /// Checks `head` for a WebSocket upgrade to a stream, and with `tokens`, its token at `now`
    /// (seconds since 1970): the last check, so a malformed handshake is told what is wrong with it first.
    static func evaluate(
        _ head: HTTPRequestHead,
        defaultStream: StreamID,
        allowedOrigins: Set<String>?,
        tokens: TokenSigner? = nil,
        publicStreams: [String] = [],
        now: Int64 = 0
    ) -> Outcome {
        guard let route = Self.route(uri: head.uri, defaultStream: defaultStream) else {
            return .reject(
                status: .notFound,
                reason: "no WebSocket endpoint at \(head.uri); use /ws/{stream}",
                headers: []
            )
        }
        let stream: StreamID
        let compat: Bool
        let resume: ResumePoint?
        switch route {
        case .success(let value): (stream, compat, resume) = (value.stream, value.compat, value.resume)
        case .failure(let rejection): return .reject(status: rejection.status, reason: rejection.reason, headers: [])
        }
        guard head.method == .GET else {
            return .reject(
                status: .methodNotAllowed,
                reason: "a WebSocket handshake must be a GET",
                headers: [("Allow", "GET")]
            )
        }
        // A handshake is a bare GET. Refusing a body here also keeps it out of NIO's upgrade handler, which
        // leaks the connection when a chunked body fails to parse (docs/RELIABILITY.md, "Fuzzing").
        if let body = Self.bodyHeader(head.headers) {
            return .reject(
                status: .badRequest,
                reason: "a WebSocket handshake must not have a body, but it has '\(body)'",
                headers: []
            )
        }
        let upgrade = head.headers[canonicalForm: "upgrade"].map { $0.lowercased() }
        guard upgrade.contains("websocket") else {
            return .reject(
                status: .upgradeRequired,
                reason: "this endpoint speaks WebSocket: send 'Upgrade: websocket'",
                headers: [("Upgrade", "websocket"), ("Connection", "Upgrade")]
            )
        }
        let connection = head.headers[canonicalForm: "connection"].map { $0.lowercased() }
        guard connection.contains("upgrade") else {
            return .reject(status: .badRequest, reason: "missing 'Connection: Upgrade'", headers: [])
        }
        let versions = head.headers["Sec-WebSocket-Version"]
        guard versions.count == 1, versions[0].trimmingSpaces == "13" else {
            let seen = versions.isEmpty ? "none" : versions.joined(separator: ", ")
            return .reject(
                status: .upgradeRequired,
                reason: "unsupported Sec-WebSocket-Version (\(seen)); this server speaks version 13",
                headers: [("Sec-WebSocket-Version", "13")]
            )
        }
        let keys = head.headers["Sec-WebSocket-Key"]
        guard keys.count == 1 else {
            return .reject(status: .badRequest, reason: "missing or repeated Sec-WebSocket-Key", headers: [])
        }
        guard let key = Base64.decode(keys[0].trimmingSpaces), key.count == 16 else {
            return .reject(
                status: .badRequest,
                reason: "Sec-WebSocket-Key must be base64 of 16 bytes, not '\(keys[0])'",
                headers: []
            )
        }
        if let allowedOrigins {
            let origin = head.headers["Origin"].first ?? ""
            guard allowedOrigins.contains(origin) else {
                return .reject(status: .forbidden, reason: "origin '\(origin)' is not allowed", headers: [])
            }
        }
        guard let tokens else { return .accept(stream: stream, compat: compat, resume: resume) }
        switch ListenerAuthorization.check(head, stream: stream, tokens: tokens, publicStreams: publicStreams, now: now)
        {
        case .success(let token):
            return .accept(stream: stream, compat: compat, expires: token?.expires, resume: resume)
        case .failure(let rejection):
            let headers = rejection.status == .unauthorized ? [ListenerAuthorization.challenge] : []
            return .reject(status: rejection.status, reason: rejection.reason, headers: headers)
        }
    }

    /// The header that announces a request body (`Transfer-Encoding`, or a `Content-Length` other
    /// than 0), as `name: value`; nil for a request without one.
    private static func bodyHeader(_ headers: HTTPHeaders) -> String? {
        if let encoding = headers["Transfer-Encoding"].first {
            return "Transfer-Encoding: \(encoding)"
        }
        for length in headers["Content-Length"] where length.trimmingSpaces != "0" {
            return "Content-Length: \(length)"
        }
        return nil
    }
}

/// Why a handshake was refused.
struct HandshakeRejection: Error {
    var status: HTTPResponseStatus
    var reason: String
}

extension String {
    fileprivate var trimmingSpaces: Substring {
        let start = self.firstIndex { $0 != " " && $0 != "\t" } ?? self.endIndex
        let end = self.lastIndex { $0 != " " && $0 != "\t" }.map { self.index(after: $0) } ?? start
        return self[start..<max(start, end)]
    }
}
