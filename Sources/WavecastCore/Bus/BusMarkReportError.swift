/// Why a frame from a gateway is not a valid ``BusMarkReport``.
public struct BusMarkReportError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong, and where.
    public var description: String

    init(_ description: String) {
        self.description = "invalid mark report from a gateway: " + description
    }
}
