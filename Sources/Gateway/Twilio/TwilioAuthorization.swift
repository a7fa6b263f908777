import WavecastCore
import WavecastTokens

/// How a Twilio call's token is checked: the gateway's secret and public streams, and what the upgrade already
/// learned from the URL. Twilio cannot set headers, so a call's token comes in the URL (`?token=`, checked before the
/// upgrade when present) or in `start.customParameters.token` (a TwiML `<Parameter name="token">`).
struct TwilioAuthorization: Sendable {
    /// The gateway's token verifier; `nil` when tokens are off.
    var tokens: TokenSigner?
    /// Streams anyone may hear (`--public-streams`).
    var publicStreams: [String]
    /// The URL's token, already verified at the upgrade (signature and time), when it had one.
    var urlToken: ListenerToken?

    /// No tokens: every call is let in.
    static let off = TwilioAuthorization(tokens: nil, publicStreams: [], urlToken: nil)

    /// Whether a call of `stream` may go on, with the token from its `start` when the URL had none; otherwise the
    /// close code and reason.
    func check(
        stream: StreamID,
        parameterToken: String?,
        now: Int64
    ) -> Result<Void, TwilioSessionStateMachine.Refusal> {
        guard let tokens = self.tokens else { return .success(()) }
        if ListenerToken(streams: self.publicStreams, expires: .max).grants(stream.description) {
            return .success(())
        }
        let token: ListenerToken
        if let urlToken = self.urlToken {
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
        return .success(())
    }
}
