import WavecastCore
import WavecastTokens

/// How a Twilio call's token is checked: the gateway's secret and public streams, and what the upgrade already
/// learned from the URL. Twilio cannot set headers, so a call's token comes in the URL (`?token=`, checked before the
/// upgrade when present) or in `start.customParameters.token` (a TwiML `<Parameter name="token">`). Twilio cannot
/// send a renewal either, so the call ends when the token does (``TwilioSessionStateMachine/checkToken(wallClock:)``).
struct TwilioAuthorization: Sendable {
    /// The gateway's token verifier; `nil` when tokens are off.
    var tokens: TokenSigner?
    /// Streams anyone may hear (`--public-streams`).
    var publicStreams: [String]
    /// The URL's token, already verified at the upgrade (signature and time), when it had one.
    var urlToken: ListenerToken?

    /// No tokens: every call is let in.
    static let off = TwilioAuthorization(tokens: nil, publicStreams: [], urlToken: nil)

    /// Whether a call of `stream` may go on at `now` (seconds since 1970), with the token from its `start` when the
    /// URL had none: on success, when the token that let it in runs out (`nil` when it needs none: tokens off, or a
    /// public stream); otherwise the close code and reason.
    func check(
        stream: StreamID,
        parameterToken: String?,
        now: Int64
    ) -> Result<Int64?, TwilioSessionStateMachine.Refusal> {
        guard let tokens = self.tokens else { return .success(nil) }
        if ListenerToken(streams: self.publicStreams, expires: .max).grants(stream.description) {
            return .success(nil)
        }
        let token: ListenerToken
        if let urlToken = self.urlToken {
            // Verified at the upgrade, and may have run out since (a `start` that came late).
            guard now < urlToken.expires else {
                return .failure(
                    .init(
                        code: TwilioCloseCode.unauthorized,
                        reason: "token refused: \(TokenError.expired(at: urlToken.expires))"
                    )
                )
            }
            token = urlToken
        } else if let parameterToken {
            do {
                token = try tokens.verify(Substring(parameterToken), now: now)
            } catch {
                return .failure(.init(code: TwilioCloseCode.unauthorized, reason: "token refused: \(error)"))
            }
        } else {
            return .failure(
                .init(
                    code: TwilioCloseCode.unauthorized,
                    reason: "a token is required: add ?token=JWT to the stream URL or a <Parameter name=\"token\">"
                )
            )
        }
        guard token.grants(stream.description) else {
            return .failure(
                .init(code: TwilioCloseCode.forbidden, reason: "the token does not grant stream '\(stream)'")
            )
        }
        return .success(token.expires)
    }
}
