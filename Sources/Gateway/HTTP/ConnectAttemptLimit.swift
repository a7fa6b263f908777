import NIOConcurrencyHelpers

/// The gateway's ``ConnectAttemptCounter``, shared by every event loop.
final class ConnectAttemptLimit: Sendable {
    private let counter: NIOLockedValueBox<ConnectAttemptCounter>
    /// Attempts allowed per address per second.
    let perSecond: Int

    init(perSecond: Int) {
        self.perSecond = perSecond
        self.counter = NIOLockedValueBox(ConnectAttemptCounter(perSecond: perSecond))
    }

    /// Counts an attempt from `address`; false when it is over the cap.
    func admit(_ address: String, nanoseconds: UInt64) -> Bool {
        self.counter.withLockedValue { $0.admit(address, nanoseconds: nanoseconds) }
    }

    /// Whether `address` is over the cap this second.
    func isOver(_ address: String, nanoseconds: UInt64) -> Bool {
        self.counter.withLockedValue { $0.isOver(address, nanoseconds: nanoseconds) }
    }
}
