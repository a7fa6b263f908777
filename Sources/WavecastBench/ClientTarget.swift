/// When a fan-out run "holds": every client connected, nothing lost, and the lateness p99 within the goal.
public struct ClientTarget: Sendable, Hashable {
    /// The largest lateness p99 that holds, in milliseconds.
    public var latenessGoalMilliseconds: Double

    /// Creates the target with this lateness goal.
    public init(latenessGoalMilliseconds: Double) {
        self.latenessGoalMilliseconds = latenessGoalMilliseconds
    }

    /// Whether the `fanout` result line met the target. A missing p99 fails; a missing connect-failure count
    /// does not (older load tools did not report it).
    public func holds(_ line: ResultLine) -> Bool {
        guard let p99 = Double(line["late_p99_ms"]), line["lost"] == "0" else { return false }
        let failed = line["connect_failures"]
        return (failed == "0" || failed == "-") && p99 <= self.latenessGoalMilliseconds
    }

    /// The largest count that held in most rounds (more than half), or `none`: the fan-out's summary line.
    ///
    /// - Parameters:
    ///   - heldRounds: for each count tried, in order, the rounds in which it held.
    ///   - rounds: the rounds each count ran.
    public static func largestHolding(_ heldRounds: [(count: Int, held: Int)], rounds: Int) -> String {
        heldRounds.last { $0.held * 2 > rounds }.map { String($0.count) } ?? "none"
    }
}
