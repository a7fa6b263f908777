import Foundation
import ZeroMQ

/// A task executor that starts another thread whenever every one it has is busy, so a test that blocks a thread
/// (waiting for a child process, reading a socket) never holds one that another test is waiting for.
///
/// Swift's cooperative pool has one thread per core, two on a 2-core machine. The end-to-end suites run in
/// parallel and block on purpose; with two of them blocked in a 15 s wait on the pool, every other suite stood
/// still: a fresh-clone CI run measured 22 s for a stream heard in 0.1 s, and a drain of 4 s as 24.7 s.
public final class BlockingTaskExecutor: TaskExecutor, @unchecked Sendable {
    /// The executor every test marked ``Trait/onOwnThreads`` runs on.
    public static let shared = BlockingTaskExecutor(maximumThreads: 256)

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var idleThreads = 0
    private var threads = 0
    private let maximumThreads: Int

    /// An executor that runs at most `maximumThreads` jobs at once; more wait for a thread to come free.
    public init(maximumThreads: Int) {
        precondition(maximumThreads > 0, "an executor needs at least one thread")
        self.maximumThreads = maximumThreads
    }

    /// The name of the executor's threads, as `Thread.current.name` and `/proc/…/comm` show it.
    public static let threadName = "test-executor"

    /// Runs `job` on a thread that is free, or on a new one while there are fewer than the maximum.
    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        self.condition.lock()
        self.jobs.append(job)
        // A sleeping thread takes one job when woken; when the queue outgrows them, a new thread takes the rest.
        let startsThread = self.jobs.count > self.idleThreads && self.threads < self.maximumThreads
        if startsThread { self.threads += 1 }
        self.condition.signal()
        self.condition.unlock()
        if startsThread {
            // Named in the kernel by the thread itself, before its first job: Foundation's `Thread.name` setter
            // reaches the kernel only when the thread that started it has already returned from `start()`, so a
            // thread started from a busy pool thread sometimes kept that thread's name ("oot.default-qos") and
            // `BlockingTaskExecutorTests` counted its jobs as run off the executor (fresh-clone runs 34 and 47).
            Thread.start(named: Self.threadName) { [self] in
                self.runJobs()
            }
        }
    }

    /// What each thread does for the life of the process: take the next job, run it.
    private func runJobs() {
        while true {
            self.condition.lock()
            while self.jobs.isEmpty {
                self.idleThreads += 1
                self.condition.wait()
                self.idleThreads -= 1
            }
            let job = self.jobs.removeFirst()
            self.condition.unlock()
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
