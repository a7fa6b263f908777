/// What a ``ZMQProxy`` has forwarded since it started, as it answers ``ZMQProxy/Command/statistics``.
///
/// libzmq 4.3 counts whole messages (and the bytes of all their frames); later releases count frames.
/// Both count from the start of the proxy, so two answers taken apart give a rate.
public struct ZMQProxyStatistics: Sendable, Hashable {
    /// Messages and bytes through one socket in one direction.
    public struct Counts: Sendable, Hashable {
        /// Messages (frames in libzmq after 4.3).
        public var messages: UInt64
        /// Bytes of their frames.
        public var bytes: UInt64

        /// Creates counts.
        public init(messages: UInt64, bytes: UInt64) {
            self.messages = messages
            self.bytes = bytes
        }
    }

    /// Received on the frontend (for a bus proxy: what publishers sent).
    public var frontendReceived: Counts
    /// Sent on the frontend (what subscribers sent upstream: subscriptions and other messages).
    public var frontendSent: Counts
    /// Received on the backend (subscriptions and upstream messages from subscribers).
    public var backendReceived: Counts
    /// Sent on the backend (what publishers sent, handed to the subscribers).
    public var backendSent: Counts

    /// Creates statistics from their counts.
    public init(frontendReceived: Counts, frontendSent: Counts, backendReceived: Counts, backendSent: Counts) {
        self.frontendReceived = frontendReceived
        self.frontendSent = frontendSent
        self.backendReceived = backendReceived
        self.backendSent = backendSent
    }

    /// Reads the proxy's answer: eight frames of one native-endian 64-bit integer each, in libzmq's order
    /// (frontend received messages and bytes, frontend sent, backend received, backend sent).
    ///
    /// - Returns: `nil` when the frames are not that answer.
    public init?(frames: [[UInt8]]) {
        guard frames.count == 8, frames.allSatisfy({ $0.count == 8 }) else { return nil }
        let values = frames.map { frame in
            frame.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        }
        self.frontendReceived = Counts(messages: values[0], bytes: values[1])
        self.frontendSent = Counts(messages: values[2], bytes: values[3])
        self.backendReceived = Counts(messages: values[4], bytes: values[5])
        self.backendSent = Counts(messages: values[6], bytes: values[7])
    }
}
