import Foundation
import WavecastCore
import ZeroMQ

/// The encoding threads, with each stream pinned to one of them so its jobs stay in order.
final class EncodingPool: Sendable {
    private let workers: [EncodingWorker]

    init(configuration: EncoderConfiguration, metrics: EncoderMetrics) {
        let count = max(1, configuration.encodingThreads)
        self.workers = (0..<count).map { _ in EncodingWorker(configuration: configuration, metrics: metrics) }
    }

    /// Starts one thread per worker; `deliver` is called on those threads with their results, a batch at a time.
    func start(deliver: @escaping @Sendable ([EncodingResult]) -> Void) {
        for (index, worker) in self.workers.enumerated() {
            Thread.start(named: "wc-encoding-\(index)") {
                worker.run(deliver: deliver)
            }
        }
    }

    /// Queues `job` on the worker that owns its stream.
    func submit(_ job: EncodingJob) {
        self.workers[self.workerIndex(for: job.stream)].submit(job)
    }

    /// Queues `jobs`, in order, each on the worker that owns its stream: one hand-off per worker for all of them.
    ///
    /// - Parameter jobs: The jobs; emptied, keeping its storage.
    func submit(batch jobs: inout [EncodingJob]) {
        guard !jobs.isEmpty else { return }
        if self.workers.count == 1 {
            self.workers[0].submit(contentsOf: jobs)
        } else {
            // One array per turn, not per job.
            var shares = [[EncodingJob]](repeating: [], count: self.workers.count)
            for job in jobs {
                shares[self.workerIndex(for: job.stream)].append(job)
            }
            for (worker, share) in zip(self.workers, shares) {
                worker.submit(contentsOf: share)
            }
        }
        jobs.removeAll(keepingCapacity: true)
    }

    /// Lets every worker finish its queue and stop.
    func finish() {
        for worker in self.workers {
            worker.finish()
        }
    }

    private func workerIndex(for stream: StreamID) -> Int {
        // A fixed hash (not Hasher, which is seeded per process) keeps the mapping stable and cheap.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in stream.description.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return Int(hash % UInt64(self.workers.count))
    }
}
