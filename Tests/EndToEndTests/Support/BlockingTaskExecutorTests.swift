import Foundation
import Testing
import WavecastTestSupport

/// The executor the end-to-end suites run on: blocked jobs do not hold back the others.
@Suite(.timeLimit(.minutes(1))) struct BlockingTaskExecutorTests {
    /// What the jobs of one test saw: how many ran at once at most, and whether each ran on the executor's threads.
    final class Tally: @unchecked Sendable {
        // Thread safety: every field is read and written under `lock`.
        private let lock = NSLock()
        private var running = 0
        private var highest = 0
        private var offExecutor = 0

        /// A job starts on the calling thread.
        func start() {
            self.lock.withLock {
                self.running += 1
                self.highest = max(self.highest, self.running)
                if Thread.current.name != BlockingTaskExecutor.threadName { self.offExecutor += 1 }
            }
        }

        /// A job ends.
        func end() { self.lock.withLock { self.running -= 1 } }

        /// The most jobs that ran at once.
        var peak: Int { self.lock.withLock { self.highest } }
        /// How many jobs ran on a thread that is not the executor's.
        var elsewhere: Int { self.lock.withLock { self.offExecutor } }
    }

    /// Eight tasks that each block their thread until all eight are running: they can finish only if the executor
    /// runs them all at once, however many cores there are (the cooperative pool runs one per core).
    @Test func blockedTasksAllRunAtOnce() async {
        let tally = Tally()
        let allRunning = await withTaskExecutorPreference(BlockingTaskExecutor.shared) {
            await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        tally.start()
                        defer { tally.end() }
                        let deadline = ContinuousClock.now + .seconds(5)
                        while tally.peak < 8 && ContinuousClock.now < deadline { usleep(1_000) }
                        return tally.peak == 8
                    }
                }
                return await group.allSatisfy { $0 }
            }
        }
        #expect(allRunning, "at most \(tally.peak) of 8 blocked tasks ran at once")
        #expect(tally.elsewhere == 0, "\(tally.elsewhere) of 8 ran off the executor")
    }

    /// A bounded executor runs no more jobs at once than it has threads, and still runs all of them.
    @Test func aBoundedExecutorQueuesWhatItCannotStart() async {
        let executor = BlockingTaskExecutor(maximumThreads: 2)
        let tally = Tally()
        let finished = await withTaskExecutorPreference(executor) {
            await withTaskGroup(of: Int.self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        tally.start()
                        usleep(100_000)
                        tally.end()
                        return 1
                    }
                }
                return await group.reduce(0, +)
            }
        }
        #expect(finished == 6)
        #expect(tally.peak == 2, "\(tally.peak) jobs ran at once on a 2-thread executor")
        #expect(tally.elsewhere == 0, "\(tally.elsewhere) of 6 ran off the executor")
    }
}
