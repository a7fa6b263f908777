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
                worker.run { results in
                    delivered.withLockedValue { $0 += results.map { ($0.stream, $0.generation) } }
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

    @Test("jobs submitted together run in order and come back together; a quiet piece only when it is answered")
    func aBatchComesBackInOrderAndQuietPiecesOnlyWhenAnswered() throws {
        let worker = EncodingWorker(configuration: EncoderConfiguration(), metrics: EncoderMetrics())
        let stream = try StreamID("batch")
        let other = try StreamID("never-opened")
        // 20 ms of 8 kHz mono: far less than LAME needs for its first frame, so no piece completes one.
        let piece = [UInt8](repeating: 0, count: 320)
        func pcm(_ generation: UInt64, on stream: StreamID, answered: Bool) -> EncodingJob {
            var job = EncodingJob(origin: nil, stream: stream, generation: generation, work: .pcm(piece))
            job.reportsNothingEncoded = answered
            return job
        }
        worker.submit(contentsOf: [
            EncodingJob(origin: nil, stream: stream, generation: 0, work: .open(sampleRate: 8000, channels: 1)),
            pcm(1, on: stream, answered: false),
            pcm(2, on: stream, answered: false),
            pcm(3, on: stream, answered: true),
            // A failure always comes back.
            pcm(4, on: other, answered: false),
            EncodingJob(origin: nil, stream: stream, generation: 5, work: .close),
        ])
        worker.finish()
        // Everything is queued before the loop starts: it runs on this thread and returns at the finish.
        var deliveries: [[EncodingResult]] = []
        worker.run { deliveries.append($0) }

        #expect(deliveries.count == 1, "one hand-over for the batch: \(deliveries.map(\.count))")
        let results = deliveries.flatMap { $0 }
        #expect(results.map(\.generation) == [0, 3, 4, 5])
        guard results.count == 4 else { return }
        guard case .opened = results[0].outcome, case .encoded(let chunks, frames: 0) = results[1].outcome,
            case .failed(let error) = results[2].outcome, case .closed(let tail, _) = results[3].outcome
        else {
            Issue.record("unexpected outcomes: \(results.map(\.outcome))")
            return
        }
        #expect(chunks.isEmpty)
        #expect(error.code == "stream_not_open")
        // Nothing was lost by not reporting the quiet pieces: LAME kept their audio, and the close flushes it.
        #expect(tail.reduce(0) { $0 + $1.sampleCount } >= 4 * 160)
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
