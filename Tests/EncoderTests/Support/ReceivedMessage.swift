import WavecastCore

/// One bus message as the test saw it: decoded, with the monotonic time it arrived.
struct ReceivedMessage: Sendable {
    /// The decoded message.
    var message: BusMessage
    /// When the subscriber's thread received it.
    var arrival: MonotonicTime

    /// The message's kind.
    var kind: BusMessageKind { self.message.header.kind }
    /// The message's header.
    var header: BusHeader { self.message.header }
}
