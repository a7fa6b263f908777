import NIOHTTP1
import WavecastCore
import WavecastTokens

/// Decides whether a request may become a Twilio Media Streams call (`GET /twilio/{stream}` or `GET /twilio`), and if
/// not, why. Pure: no I/O.
///
/// The request is held to the same WebSocket rules as a listener's (``HandshakeCheck``: a GET, the upgrade headers,
/// version 13, a good key, an allowed origin). Twilio cannot show an HTTP error to anyone, but a token in the URL
/// that is bad is still refused here, before the upgrade (401, or 403 when it does not grant the path's stream), so
/// a test with curl or a WebSocket client says what is wrong; a call without a URL token is upgraded and its token
/// looked for in `start.customParameters.token` (``TwilioAuthorization``).
enum TwilioHandshake {
    /// What was decided.
    enum Outcome {
        /// Upgrade, and run the call with this machine.
        case accept(TwilioSessionStateMachine)
        /// Refuse with this status, a reason for the body, and extra headers.
        case reject(status: HTTPResponseStatus, reason: String, headers: [(String, String)])
    }

    /// The path every Twilio endpoint starts with.
    static let path = "/twilio"

    /// Whether `uri` is a Twilio endpoint's (`/twilio`, `/twilio/`, `/twilio/{stream}`, with any query).
    static func handles(_ uri: String) -> Bool {
        let path = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0]
        return path == Self.path || path.hasPrefix(Self.path + "/")
    }

    /// Checks `head` (a request for which ``handles(_:)`` holds) at `now` (seconds since 1970).
    static func evaluate(_ head: HTTPRequestHead, configuration: GatewayConfiguration, now: Int64) -> Outcome {
        let parts = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let rest = parts[0].dropFirst(Self.path.count).drop { $0 == "/" }
        var pathStream: StreamID?
        if !rest.isEmpty {
            do {
                pathStream = try StreamID(String(rest))
            } catch {
                return .reject(status: .badRequest, reason: "invalid stream id in the path: \(error)", headers: [])
            }
        }
        // The listener's WebSocket rules, on the same request as if it were for /ws (tokens are looked at below).
        var listenerHead = head
        listenerHead.uri = "/ws/" + (pathStream ?? configuration.defaultStream).rawValue
        if case .reject(let status, let reason, let headers) = HandshakeCheck.evaluate(
            listenerHead,
            defaultStream: configuration.defaultStream,
            allowedOrigins: configuration.allowedOrigins
        ) {
            return .reject(status: status, reason: reason, headers: headers)
        }
        var authorization = TwilioAuthorization(
            tokens: configuration.tokens,
            publicStreams: configuration.publicStreams,
            urlToken: nil
        )
        if let tokens = configuration.tokens, let text = ListenerAuthorization.token(in: head) {
            do {
                authorization.urlToken = try tokens.verify(text, now: now)
            } catch {
                return .reject(
                    status: .unauthorized,
                    reason: "\(error)",
                    headers: [ListenerAuthorization.challenge]
                )
            }
            if let pathStream,
                case .failure(let refusal) = authorization.check(
                    stream: pathStream,
                    parameterToken: nil,
                    now: now
                )
            {
                return .reject(status: .forbidden, reason: refusal.reason, headers: [])
            }
        }
        return .accept(
            TwilioSessionStateMachine(
                pathStream: pathStream,
                authorization: authorization,
                streamWait: configuration.twilioStreamWait.wholeNanoseconds
            )
        )
    }
}
