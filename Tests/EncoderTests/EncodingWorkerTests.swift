import Dispatch
import Foundation
import NIOConcurrencyHelpers
import Testing
import WavecastCore

@testable import Encoder

/// An encoding thread's job queue under contention: the reactor thread submits while the worker pops.
///
/// Under ThreadSanitizer this is the small reproducer of the `Synchronization.Mutex` blind spot
/// (docs/RELIABILITY.md, "Sanitizers"): with the queue behind a `Mutex`, a contended lock is handed
/// over inside the kernel (a priority-inheritance futex), the sanitizer sees no ordering between the
/// two critical sections, and it reported a race on the `Deque` in most runs. Behind a pthread lock
/// it reports none.
struct EncodingWorkerTests {
    static let submitters = 4
    static let jobsPerSubmitter = 500

    // The waits below have no timeout of their own: a worker that never returns fails the time limit instead.
    @Test(
        "four threads submit 500 jobs each while the worker runs: each answered once, in order per stream",
        .timeLimit(.minutes(1))
    )
    func contendedQueueLosesAndReordersNothing() async throws {
        let worker = EncodingWorker(configuration: EncoderConfiguration(), metrics: EncoderMetrics())
        let delivered = NIOLockedValueBox<[(stream: StreamID, generation: UInt64)]>([])
        let streams = try (0..<Self.submitters).map { try StreamID("contended-\($0)") }

        await Self.onThreads(
            worker: {
                worker.run { result in
                    delivered.withLockedValue { $0.append((result.stream, result.generation)) }
                }
            },
            submitters: streams.map { stream in
                {
                    // `pcm` for a stream that was never opened: a cheap job that still answers.
                    for generation in 0..<UInt64(Self.jobsPerSubmitter) {
                        worker.submit(
                            EncodingJob(origin: nil, stream: stream, generation: generation, work: .pcm([0, 0]))
                        )
                    }
                }
            },
            afterSubmitters: { worker.finish() }
        )

        let results = delivered.withLockedValue { $0 }
        #expect(results.count == Self.submitters * Self.jobsPerSubmitter)
        for stream in streams {
            let generations = results.filter { $0.stream == stream }.map(\.generation)
            #expect(generations == Array(0..<UInt64(Self.jobsPerSubmitter)), "'\(stream)' answered once each, in order")
        }
    }

    /// Runs `worker` on a thread of its own and each of `submitters` on another, calls `afterSubmitters` once
    /// they have all returned, and returns when the worker has.
    private static func onThreads(
        worker: @escaping @Sendable () -> Void,
        submitters: [@Sendable () -> Void],
        afterSubmitters: @escaping @Sendable () -> Void
    ) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                let workerDone = DispatchSemaphore(value: 0)
                Thread {
                    worker()
                    workerDone.signal()
                }.start()
                let submittersDone = DispatchSemaphore(value: 0)
                for submitter in submitters {
                    Thread {
                        submitter()
                        submittersDone.signal()
                    }.start()
                }
                for _ in submitters { submittersDone.wait() }
                afterSubmitters()
                workerDone.wait()
                continuation.resume()
            }
        }
    }
}
