import Foundation
import Testing
import WavecastTestSupport

/// The executor the end-to-end suites run on: blocked jobs do not hold back the others.
@Suite struct BlockingTaskExecutorTests {
    /// Eight tasks each blocking its thread for 300 ms finish together, not four rounds of two (the cooperative
    /// pool's width on a 2-core machine).
    @Test func blockedTasksDoNotWaitForEachOther() async {
        let started = ContinuousClock.now
        await withTaskExecutorPreference(BlockingTaskExecutor.shared) {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask { usleep(300_000) }
                }
            }
        }
        let took = ContinuousClock.now - started
        // Nominal 0.3 s; on the two cooperative threads it takes 1.2 s.
        #expect(took < .milliseconds(1000), "eight blocked tasks took \(took)")
    }

    /// A bounded executor runs no more jobs at once than it has threads, and still runs all of them.
    @Test func aBoundedExecutorQueuesWhatItCannotStart() async {
        let executor = BlockingTaskExecutor(maximumThreads: 2)
        let started = ContinuousClock.now
        let finished = await withTaskExecutorPreference(executor) {
            await withTaskGroup(of: Int.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        usleep(200_000)
                        return 1
                    }
                }
                return await group.reduce(0, +)
            }
        }
        let took = ContinuousClock.now - started
        #expect(finished == 4)
        #expect(took >= .milliseconds(390), "four 200 ms jobs on two threads took only \(took)")
    }
}
