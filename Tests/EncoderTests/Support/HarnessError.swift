/// A test fixture gave up: a deadline passed, a tool is missing, or a socket failed.
struct HarnessError: Error, CustomStringConvertible {
    /// What went wrong, for the test log.
    var description: String

    init(_ description: String) {
        self.description = description
    }
}
