import Testing
import WavecastBench

/// The rule that says whether a fan-out run held, and which count is reported as the largest that holds.
@Suite struct ClientTargetTests {
    let target = ClientTarget(latenessGoalMilliseconds: 20)

    @Test func holdsWithinTheGoalWithNothingLost() {
        #expect(self.target.holds(ResultLine("fanout late_p99_ms=20.00 lost=0 connect_failures=0")))
        #expect(self.target.holds(ResultLine("fanout late_p99_ms=3 lost=0")))
    }

    @Test func failsOnLatenessLossFailuresOrMissingFigures() {
        #expect(!self.target.holds(ResultLine("fanout late_p99_ms=20.01 lost=0 connect_failures=0")))
        #expect(!self.target.holds(ResultLine("fanout late_p99_ms=3 lost=2 connect_failures=0")))
        #expect(!self.target.holds(ResultLine("fanout late_p99_ms=3 lost=0 connect_failures=1")))
        #expect(!self.target.holds(ResultLine("fanout loadtest_error=failed")))
    }

    @Test func theLargestCountHoldsInMostRounds() {
        let held = [(count: 500, held: 3), (count: 1000, held: 2), (count: 2000, held: 1)]
        #expect(ClientTarget.largestHolding(held, rounds: 3) == "1000")
        #expect(ClientTarget.largestHolding(held, rounds: 5) == "500")
        #expect(ClientTarget.largestHolding([(count: 500, held: 0)], rounds: 1) == "none")
    }
}
