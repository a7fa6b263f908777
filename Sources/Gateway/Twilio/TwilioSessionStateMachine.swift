import WavecastCore

/// One Twilio Media Streams connection's protocol logic, with no socket and no clock: the gateway is the server a
/// bidirectional stream (`<Connect><Stream>`) connects to, and plays it a Wavecast stream's µ-law rendition.
///
/// Twilio sends `connected`, then `start` (the call's `streamSid` and its TwiML `<Parameter>`s), then the caller's
/// audio as `media` every 20 ms, `dtmf` for key presses, `mark` when audio we sent before one of our marks has
/// played, and `stop` at the end; the gateway sends `media` (base64 µ-law), `mark` and `clear`. Each input returns
/// the actions it calls for; ``TwilioHandler`` carries them out (swift-websocket's `WebSocketStateMachine` works
/// the same way).
///
/// What a peer gets wrong is answered by how far the call got. Before `start` nothing is set up, and a message that
/// is not `connected` or `start` — `media` before `start`, bad JSON, an unknown event — closes the socket with
/// 4400 and a reason, so a misconfigured client learns what is wrong. After `start` the call is live, and a bad
/// message is counted and logged but does not end it (Twilio may add events; a phone call should not drop over a
/// malformed frame). A second `start` closes with 4400: one connection is one call.
///
/// A call let in by a token lasts as long as the token: once its `exp` passes the call is closed with 4401, as a
/// WebSocket listener is. A listener may send a new token before then; Twilio has no message that could carry one, so
/// a call cannot renew, and must be placed again with a fresh token.
struct TwilioSessionStateMachine: Sendable {
    /// Why a call was refused: the close code and reason.
    struct Refusal: Error, Sendable, Hashable {
        /// The WebSocket close code (``TwilioCloseCode``).
        var code: UInt16
        /// Why, for the close frame and the log.
        var reason: String
    }

    /// The call, as its `start` described it.
    struct Call: Sendable, Hashable {
        /// Twilio's id of this stream: every message the gateway sends carries it.
        var streamSid: String
        /// Twilio's id of the call, for the log.
        var callSid: String?
        /// The Wavecast stream it hears.
        var stream: StreamID
    }

    /// Why a message was ignored, for the metric's `reason` label.
    enum Ignored: String, Sendable, Hashable, CaseIterable {
        /// Not JSON, or not a JSON object with a string `event`.
        case invalidJSON = "invalid_json"
        /// An `event` this gateway does not know.
        case unknownEvent = "unknown_event"
        /// A known event without the fields it needs (a `mark` without a name, a `dtmf` without a digit).
        case malformed
        /// `connected` after `start`, or anything after `stop`.
        case outOfOrder = "out_of_order"
    }

    /// Something the machine asks its executor to do.
    enum Action: Sendable, Hashable {
        /// The call is set up: start sending it `stream`'s µ-law (join the hub under its µ-law key).
        case join(Call)
        /// Send the close frame with `code` and `reason`, then close.
        case close(code: UInt16, reason: String)
        /// Twilio reports that the audio before our mark `name` has played.
        case markPlayed(String)
        /// One `media` message of the caller's audio arrived (not played anywhere; counted).
        case inboundMedia
        /// The caller pressed `digit`.
        case dtmf(String)
        /// A message was ignored (counted and logged).
        case ignored(Ignored, detail: String)
    }

    /// Whether the stream a call hears is live on the bus, and with which renditions, as the gateway knows it.
    enum StreamAvailability: Sendable, Hashable {
        /// Not live (not yet, or no more): no catalogue lists it.
        case notLive
        /// Live, MP3 alone: a phone cannot play it.
        case liveWithoutMuLaw
        /// Live with its µ-law rendition.
        case liveWithMuLaw
    }

    private enum State: Sendable {
        /// Upgraded; `connected` may have come, `start` has not.
        case awaitingStart
        /// Set up: sending audio. `seenLive`: the stream has been live with µ-law since; `since`: when the call
        /// started (monotonic nanoseconds), for the wait for a stream not yet live.
        case started(Call, seenLive: Bool, since: UInt64)
        /// `stop` came, or the machine asked to close.
        case closed
    }

    private var state = State.awaitingStart
    /// When the token that let the call in runs out (seconds since 1970), from `start` on; `nil` when it needed none.
    private var tokenExpires: Int64?
    /// The stream named in the path (`/twilio/{stream}`), if any.
    private let pathStream: StreamID?
    private let authorization: TwilioAuthorization
    /// How long a call waits for its stream to go live before it is closed as unknown (nanoseconds).
    private let streamWait: UInt64

    /// Makes the machine of one connection.
    ///
    /// - Parameters:
    ///   - pathStream: The stream the URL's path names, or `nil` for `/twilio` (the stream then comes from
    ///     `start.customParameters.stream`).
    ///   - authorization: How the call's token is checked.
    ///   - streamWait: How long a call waits for a stream that is not live yet (nanoseconds).
    init(pathStream: StreamID?, authorization: TwilioAuthorization, streamWait: UInt64) {
        self.pathStream = pathStream
        self.authorization = authorization
        self.streamWait = streamWait
    }

    /// The call, once `start` has set it up.
    var call: Call? {
        if case .started(let call, _, _) = self.state { return call }
        return nil
    }

    /// Whether the machine has asked to close.
    var isClosed: Bool {
        if case .closed = self.state { return true }
        return false
    }

    // MARK: Inputs

    /// Takes one text message from Twilio, received at `now` (monotonic nanoseconds); `wallClock` is the time in
    /// seconds since 1970, for the token.
    mutating func receive(text: [UInt8], now: UInt64, wallClock: Int64) -> [Action] {
        if case .closed = self.state { return [] }
        let object: JSONObject
        let event: String
        do {
            guard case .object(let parsed) = try JSONValue.parse(text), case .string(let name)? = parsed["event"] else {
                return self.refuseOrIgnore(.invalidJSON, "a message must be a JSON object with a string \"event\"")
            }
            object = parsed
            event = name
        } catch {
            return self.refuseOrIgnore(.invalidJSON, "the message is not JSON: \(error)")
        }
        switch (event, self.state) {
        case ("connected", .awaitingStart):
            return []
        case ("start", .awaitingStart):
            return self.start(object, now: now, wallClock: wallClock)
        case ("start", .started):
            return self.close(
                TwilioCloseCode.protocolError,
                "a second 'start' on one connection: Twilio sends one per stream"
            )
        case (_, .awaitingStart):
            let known = ["media", "mark", "dtmf", "stop"].contains(event)
            return self.close(
                TwilioCloseCode.protocolError,
                known
                    ? "'\(event)' before 'start': Twilio sends 'connected', then 'start', first"
                    : "unknown event '\(event)' before 'start': this is a Twilio Media Streams endpoint"
            )
        case ("media", .started):
            return [.inboundMedia]
        case ("mark", .started):
            guard case .object(let mark)? = object["mark"], case .string(let name)? = mark["name"] else {
                return [.ignored(.malformed, detail: "a 'mark' without mark.name")]
            }
            return [.markPlayed(name)]
        case ("dtmf", .started):
            guard case .object(let dtmf)? = object["dtmf"], case .string(let digit)? = dtmf["digit"] else {
                return [.ignored(.malformed, detail: "a 'dtmf' without dtmf.digit")]
            }
            return [.dtmf(digit)]
        case ("stop", .started):
            self.state = .closed
            return [.close(code: TwilioCloseCode.normal, reason: "stop received")]
        case ("connected", .started):
            return [.ignored(.outOfOrder, detail: "'connected' after 'start'")]
        case (_, .started):
            return [.ignored(.unknownEvent, detail: "unknown event '\(event)'")]
        case (_, .closed):
            return []
        }
    }

    /// Looks at the call's stream once a second (and right after `start`): a stream live without µ-law closes the
    /// call with 4415, one that has not gone live within the wait since `start` with 4404.
    mutating func check(_ availability: StreamAvailability, now: UInt64) -> [Action] {
        guard case .started(let call, let seenLive, let since) = self.state else { return [] }
        switch availability {
        case .liveWithMuLaw:
            if !seenLive {
                self.state = .started(call, seenLive: true, since: since)
            }
            return []
        case .liveWithoutMuLaw:
            return self.close(
                TwilioCloseCode.noMuLawRendition,
                "stream '\(call.stream)' has no µ-law rendition: feed it with \"renditions\":[\"mp3\",\"mulaw\"] "
                    + "(or run the encoder with --renditions mp3,mulaw)"
            )
        case .notLive:
            guard !seenLive, now &- since > self.streamWait else { return [] }
            return self.close(
                TwilioCloseCode.unknownStream,
                "unknown stream '\(call.stream)': it did not go live within \(self.streamWait / 1_000_000) ms"
            )
        }
    }

    /// Looks at the call's token at `wallClock` (seconds since 1970; the gateway asks once a second): a token whose
    /// `exp` has passed closes the call with 4401. There is no renewal to wait for (see the type's comment).
    mutating func checkToken(wallClock: Int64) -> [Action] {
        guard case .started = self.state, let expires = self.tokenExpires, wallClock >= expires else { return [] }
        return self.close(
            TwilioCloseCode.unauthorized,
            "token expired at \(expires) (seconds since 1970); Twilio cannot renew it in-band: "
                + "place the call again with a new one"
        )
    }

    // MARK: Start

    private mutating func start(_ object: JSONObject, now: UInt64, wallClock: Int64) -> [Action] {
        guard case .object(let start)? = object["start"] else {
            return self.close(TwilioCloseCode.protocolError, "'start' without its \"start\" object")
        }
        let sid: String
        if case .string(let inner)? = start["streamSid"], !inner.isEmpty {
            sid = inner
        } else if case .string(let outer)? = object["streamSid"], !outer.isEmpty {
            sid = outer
        } else {
            return self.close(TwilioCloseCode.protocolError, "'start' without a streamSid")
        }
        var parameters: [String: String] = [:]
        if case .object(let custom)? = start["customParameters"] {
            for name in custom.keys {
                if case .string(let text)? = custom[name] { parameters[name] = text }
            }
        }
        let stream: StreamID
        if let pathStream = self.pathStream {
            stream = pathStream
        } else if let named = parameters["stream"] {
            do {
                stream = try StreamID(named)
            } catch {
                return self.close(
                    TwilioCloseCode.unknownStream,
                    "invalid stream id in customParameters.stream: \(error)"
                )
            }
        } else {
            return self.close(
                TwilioCloseCode.unknownStream,
                "no stream named: use /twilio/{stream}, or <Parameter name=\"stream\" value=\"…\"/> in the TwiML"
            )
        }
        switch self.authorization.check(stream: stream, parameterToken: parameters["token"], now: wallClock) {
        case .success(let expires):
            self.tokenExpires = expires
        case .failure(let refusal):
            return self.close(refusal.code, refusal.reason)
        }
        var callSid: String?
        if case .string(let text)? = start["callSid"] { callSid = text }
        let call = Call(streamSid: sid, callSid: callSid, stream: stream)
        self.state = .started(call, seenLive: false, since: now)
        return [.join(call)]
    }

    // MARK: Refusals

    /// Before `start`, a bad message closes the connection; after, it is ignored and counted.
    private mutating func refuseOrIgnore(_ reason: Ignored, _ detail: String) -> [Action] {
        if case .awaitingStart = self.state {
            return self.close(TwilioCloseCode.protocolError, detail)
        }
        return [.ignored(reason, detail: detail)]
    }

    private mutating func close(_ code: UInt16, _ reason: String) -> [Action] {
        self.state = .closed
        return [.close(code: code, reason: reason)]
    }
}
