import NIOHTTP1
import WavecastCore
import WavecastTokens

/// Whether a handshake's token lets it listen to its stream: the token from `?token=` or from a
/// `Sec-WebSocket-Protocol` entry `token.<JWT>` (browsers cannot set other headers), checked for
/// signature, time and stream. Pure: the caller gives the wall-clock time.
enum ListenerAuthorization {
    /// The subprotocol a client offers beside its token entry, and the gateway selects: browsers
    /// fail a handshake whose answer names no protocol they offered, and the token must not be echoed.
    static let subprotocol = "wavecast"
    /// The prefix of the `Sec-WebSocket-Protocol` entry that carries the token.
    static let tokenProtocolPrefix = "token."

    /// The token's grant for `stream`, or the refusal: 401 for a missing, malformed, forged, expired or
    /// not-yet-valid token, 403 for a good token that does not name the stream.
    static func check(
        _ head: HTTPRequestHead,
        stream: StreamID,
        tokens: TokenSigner,
        publicStreams: [String],
        now: Int64
    ) -> Result<ListenerToken?, HandshakeRejection> {
        if ListenerToken(streams: publicStreams, expires: .max).grants(stream.description) {
            return .success(nil)
        }
        guard let text = Self.token(in: head) else {
            return .failure(
                Self.unauthorized(
                    "a token is required: add ?token=JWT, or offer the subprotocols 'wavecast' and 'token.JWT'"
                )
            )
        }
        let token: ListenerToken
        do {
            token = try tokens.verify(text, now: now)
        } catch {
            return .failure(Self.unauthorized("\(error)"))
        }
        guard token.grants(stream.description) else {
            return .failure(
                HandshakeRejection(
                    status: .forbidden,
                    reason:
                        "the token does not grant stream '\(stream)' (it grants \(token.streams.joined(separator: ", ")))"
                )
            )
        }
        return .success(token)
    }

    /// The token a request carries, if any: `?token=` first, then `Authorization: Bearer`, then the
    /// subprotocol entry.
    static func token(in head: HTTPRequestHead) -> Substring? {
        if let query = head.uri.split(separator: "?", maxSplits: 1).dropFirst().first {
            for parameter in query.split(separator: "&") where parameter.hasPrefix("token=") {
                return parameter.dropFirst("token=".count)
            }
        }
        for value in head.headers["Authorization"] where value.hasPrefix("Bearer ") {
            return Substring(value.dropFirst("Bearer ".count).filter { $0 != " " })
        }
        for entry in Self.offeredSubprotocols(head) where entry.hasPrefix(Self.tokenProtocolPrefix) {
            return entry.dropFirst(Self.tokenProtocolPrefix.count)
        }
        return nil
    }

    /// Every `Sec-WebSocket-Protocol` entry the client offered, trimmed.
    static func offeredSubprotocols(_ head: HTTPRequestHead) -> [Substring] {
        head.headers["Sec-WebSocket-Protocol"].flatMap { value in
            value.split(separator: ",").map { entry in
                let start = entry.firstIndex { $0 != " " && $0 != "\t" } ?? entry.endIndex
                let end = entry.lastIndex { $0 != " " && $0 != "\t" }.map { entry.index(after: $0) } ?? start
                return entry[start..<max(start, end)]
            }
        }
    }

    /// Whether the client offered the ``subprotocol``, which the answer must then select.
    static func offersSubprotocol(_ head: HTTPRequestHead) -> Bool {
        Self.offeredSubprotocols(head).contains { $0 == Self.subprotocol }
    }

    private static func unauthorized(_ reason: String) -> HandshakeRejection {
        HandshakeRejection(status: .unauthorized, reason: reason)
    }

    /// The header a 401 carries (RFC 6750).
    static let challenge = ("WWW-Authenticate", #"Bearer realm="wavecast""#)
}
