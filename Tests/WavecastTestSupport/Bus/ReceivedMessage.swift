public import WavecastCore

/// One bus message as a test saw it: decoded, with the monotonic time it arrived.
public struct ReceivedMessage: Sendable {
    /// The decoded message.
    public var message: BusMessage
    /// When the tap's thread received it.
    public var arrival: MonotonicTime

    /// A received message.
    public init(message: BusMessage, arrival: MonotonicTime) {
        self.message = message
        self.arrival = arrival
    }

    /// The message's kind.
    public var kind: BusMessageKind { self.message.header.kind }
    /// The message's header.
    public var header: BusHeader { self.message.header }
}

extension Array where Element == ReceivedMessage {
    /// The chunks among these messages, in order.
    public var chunks: [BusMessage] { self.lazy.filter { $0.kind == .chunk }.map(\.message) }
}
