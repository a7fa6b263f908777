/// A failure of the test harness itself (a timeout, a socket call that failed), not of an expectation.
struct FixtureError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}
