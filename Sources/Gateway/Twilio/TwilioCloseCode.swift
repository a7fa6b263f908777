/// The WebSocket close codes a Twilio Media Streams connection is closed with, each with a reason in the close frame
/// (Twilio shows neither to anyone, so the gateway logs them too).
enum TwilioCloseCode {
    /// The call's `stop`, or the gateway's own end: a normal close.
    static let normal: UInt16 = 1000
    /// The peer broke the protocol before the call was set up: a message before `start` other than `connected`, bad
    /// JSON there, a `start` without a `streamSid`, a second `start`.
    static let protocolError: UInt16 = 4400
    /// Tokens are on and the call has none, or a bad one (like HTTP's 401); or its token ran out during the call
    /// (Twilio cannot renew one).
    static let unauthorized: UInt16 = 4401
    /// The call's token does not grant its stream (like HTTP's 403).
    static let forbidden: UInt16 = 4403
    /// No stream named, an invalid stream id, or a stream that did not go live within the wait (like HTTP's 404).
    static let unknownStream: UInt16 = 4404
    /// The stream is live but has no µ-law rendition: its feeder did not ask for `"renditions":["mp3","mulaw"]` and
    /// the encoder's default (`--renditions`) is MP3 alone (like HTTP's 415).
    static let noMuLawRendition: UInt16 = 4415
}
