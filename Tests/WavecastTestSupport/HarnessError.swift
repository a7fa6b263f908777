/// A failure of the test harness itself (a deadline passed, a tool is missing, a socket call failed),
/// not of an expectation: the message says what to fix.
public struct HarnessError: Error, CustomStringConvertible, Equatable {
    /// What went wrong, for the test log.
    public var description: String

    /// An error that says `description`.
    public init(_ description: String) {
        self.description = description
    }

    /// A bounded wait ran out (a read that may be retried).
    public static let timedOut = HarnessError("timed out")
}
