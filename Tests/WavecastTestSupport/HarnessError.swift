/// A failure of the test harness itself (a deadline passed, a tool is missing, a socket call failed),
/// not of an expectation: the message says what to fix.
public struct HarnessError: Error, CustomStringConvertible {
    /// What went wrong, for the test log.
    public var description: String
    /// Whether a bounded read found nothing in its time (the caller may read again), rather than failing.
    public let isReadTimeout: Bool

    /// An error that says `description`.
    public init(_ description: String) {
        self.description = description
        self.isReadTimeout = false
    }

    private init(readTimeoutSaying description: String) {
        self.description = description
        self.isReadTimeout = true
    }

    /// A bounded read found nothing in its time: a reader polling in slices may read again.
    public static let readTimedOut = HarnessError(readTimeoutSaying: "timed out")
}
