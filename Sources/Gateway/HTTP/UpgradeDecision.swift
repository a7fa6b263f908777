import NIOHTTP1
import WavecastCore

/// What the gateway does with a WebSocket handshake, a listener's `/ws/{stream}` or a Twilio call's `/twilio`,
/// decided once per request.
///
/// The upgrader's `shouldUpgrade` decides (``ConnectionPipeline``) and keeps the decision on the channel: an
/// accepted one builds the WebSocket pipeline, a refused one is answered by ``GatewayHTTPHandler``, which does not
/// judge the request again. The handler decides itself only for a request the upgrader never asked about: one without
/// `Upgrade: websocket`, one whose key or version NIO refuses before asking, or a second request on a connection.
enum UpgradeDecision: Sendable {
    /// Upgrade to a listener of `stream`.
    case listener(stream: StreamID, compat: Bool, expires: Int64?, resume: ResumePoint?)
    /// Upgrade to a Twilio Media Streams call, run by this machine.
    case call(TwilioSessionStateMachine)
    /// Answer with an error that says why.
    case refuse(UpgradeRefusal)

    /// The request's own verdict: ``TwilioHandshake`` for a `/twilio` request, ``HandshakeCheck`` for any other; the
    /// gateway's state (draining, the attempt cap, the client limit) is the caller's to add.
    ///
    /// - Parameters:
    ///   - head: The request.
    ///   - configuration: The gateway's configuration (default stream, origins, tokens, public streams).
    ///   - now: Seconds since 1970, for token expiry.
    static func judge(_ head: HTTPRequestHead, configuration: GatewayConfiguration, now: Int64) -> UpgradeDecision {
        if TwilioHandshake.handles(head.uri) {
            switch TwilioHandshake.evaluate(head, configuration: configuration, now: now) {
            case .accept(let machine):
                return .call(machine)
            case .reject(let status, let reason, let headers):
                return .refuse(.rejected(status: status, reason: reason, headers: headers))
            }
        }
        let outcome = HandshakeCheck.evaluate(
            head,
            defaultStream: configuration.defaultStream,
            allowedOrigins: configuration.allowedOrigins,
            tokens: configuration.tokens,
            publicStreams: configuration.publicStreams,
            now: now
        )
        switch outcome {
        case .accept(let stream, let compat, let expires, let resume):
            return .listener(stream: stream, compat: compat, expires: expires, resume: resume)
        case .reject(let status, let reason, let headers):
            return .refuse(.rejected(status: status, reason: reason, headers: headers))
        }
    }
}
