/// A failure that stops a measurement; printed for a person, then the tool exits with status 1.
struct BenchError: Error, CustomStringConvertible {
    /// What went wrong, for a person.
    var description: String

    /// Creates an error with the message `description`.
    init(_ description: String) {
        self.description = description
    }
}
