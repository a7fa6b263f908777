import DequeModule
import Dispatch
import Logging
import NIOConcurrencyHelpers
import Prometheus
import WavecastCore

/// One encoding thread: decodes WAV files and runs LAME, off the thread that owns the sockets.
///
/// Each stream is always served by the same worker (see ``EncodingPool``), so a stream's jobs run
/// in the order they were accepted and its live encoder is touched by one thread only.
final class EncodingWorker: Sendable {
    private let jobs = NIOLockedValueBox<Deque<EncodingJob?>>([])
    private let available = DispatchSemaphore(value: 0)
    private let configuration: EncoderConfiguration
    private let metrics: EncoderMetrics

    init(configuration: EncoderConfiguration, metrics: EncoderMetrics) {
        self.configuration = configuration
        self.metrics = metrics
    }

    /// Queues `job`; the worker runs it after the jobs already queued.
    func submit(_ job: EncodingJob) {
        self.jobs.withLockedValue { $0.append(job) }
        self.available.signal()
    }

    /// Queues `jobs`, in order, behind the jobs already queued: one lock and one wake-up for all of them.
    func submit(contentsOf jobs: some Collection<EncodingJob>) {
        guard !jobs.isEmpty else { return }
        self.jobs.withLockedValue { queue in
            for job in jobs { queue.append(job) }
        }
        self.available.signal()
    }

    /// Asks ``run(deliver:)`` to return once the jobs queued before now are done.
    func finish() {
        self.jobs.withLockedValue { $0.append(nil) }
        self.available.signal()
    }

    /// The most results handed over at once: a long batch hands its first results over before its last are done.
    static let maximumResultsPerDelivery = 64

    /// The worker's loop; call on a thread of its own. Returns after ``finish()``.
    ///
    /// Each wake-up takes every job queued so far and runs them in order, and `deliver` gets their results
    /// together (at most ``maximumResultsPerDelivery`` at a time, and before a whole file is encoded, so no result
    /// waits behind one): at telephony cadence the reactor is woken once per batch, not once per 20 ms piece.
    func run(deliver: ([EncodingResult]) -> Void) {
        var liveEncoders: [StreamID: LiveEncoder] = [:]
        var batch: Deque<EncodingJob?> = []
        var results: [EncodingResult] = []
        // Kept between `pcm` jobs, so decoding a piece allocates nothing.
        var samples: [Float] = []
        // Counted once per hand-over, not per piece: at 1,000 live streams of 20 ms pieces the workers would add to
        // one atomic counter 50,000 times a second, passing its cache line between the cores on every piece.
        var encodedSeconds = 0.0
        func handOver() {
            if encodedSeconds > 0 {
                self.metrics.encodedSeconds.increment(by: encodedSeconds)
                encodedSeconds = 0
            }
            guard !results.isEmpty else { return }
            deliver(results)
            results.removeAll(keepingCapacity: true)
        }
        while true {
            self.available.wait()
            self.jobs.withLockedValue { swap(&$0, &batch) }
            while let next = batch.popFirst() {
                guard let job = next else {
                    handOver()
                    return
                }
                if case .play = job.work {
                    handOver()
                }
                if let result = self.perform(
                    job,
                    liveEncoders: &liveEncoders,
                    samples: &samples,
                    encodedSeconds: &encodedSeconds
                ) {
                    results.append(result)
                    if results.count >= Self.maximumResultsPerDelivery {
                        handOver()
                    }
                }
            }
            handOver()
        }
    }

    /// Runs one job; returns its result, or `nil` when nobody waits on one.
    ///
    /// - Parameters:
    ///   - job: The job, run in its stream's order.
    ///   - liveEncoders: The worker's live streams, opened, used and closed by their jobs.
    ///   - samples: Scratch for a `pcm` job's decoded samples, kept so that decoding allocates nothing.
    ///   - encodedSeconds: A `pcm` job adds the seconds of audio it encoded, for the caller to count.
    private func perform(
        _ job: EncodingJob,
        liveEncoders: inout [StreamID: LiveEncoder],
        samples: inout [Float],
        encodedSeconds: inout Double
    ) -> EncodingResult? {
        let outcome: EncodingResult.Outcome?
        switch job.work {
        case .play(let wav, let loop):
            outcome = self.encodeFile(wav, loop: loop, muLaw: job.muLaw)
        case .open(let sampleRate, let channels):
            do {
                let encoder = try ChunkEncoder(
                    configuration: self.configuration.lameConfiguration(inputSampleRate: sampleRate),
                    framesPerChunk: self.configuration.framesPerChunk
                )
                liveEncoders[job.stream] = LiveEncoder(
                    encoder: encoder,
                    channels: channels,
                    sampleRate: sampleRate,
                    muLaw: job.muLaw
                        ? MuLawRendition(
                            inputSampleRate: sampleRate,
                            mp3SampleRate: self.configuration.outputFormat.sampleRate
                        ) : nil
                )
                outcome = .opened
            } catch {
                outcome = .failed(IngestError(code: "encoder_error", message: "\(error)"))
            }
        case .pcm(let bytes):
            guard let live = liveEncoders[job.stream] else {
                outcome = .failed(Self.notOpen(job.stream))
                break
            }
            samples.removeAll(keepingCapacity: true)
            SignedPCM16Decoder.decodeToMono(bytes, channels: live.channels, into: &samples)
            do {
                let before = live.encoder.frameCount
                var chunks = try live.encoder.encode(samples)
                if live.muLaw != nil {
                    live.muLaw!.feed(samples)
                    chunks = live.muLaw!.attach(to: chunks, last: false)
                }
                encodedSeconds += Double(samples.count) / Double(live.sampleRate)
                // Nothing to publish and no reply owed: the reactor need not hear of it.
                outcome =
                    chunks.isEmpty && !job.reportsNothingEncoded
                    ? nil : .encoded(chunks, frames: live.encoder.frameCount - before)
            } catch {
                liveEncoders[job.stream] = nil
                outcome = .failed(IngestError(code: "encoder_error", message: "\(error)"))
            }
        case .close:
            guard let live = liveEncoders.removeValue(forKey: job.stream) else {
                outcome = .failed(Self.notOpen(job.stream))
                break
            }
            do {
                let before = live.encoder.frameCount
                var chunks = try live.encoder.finish()
                if live.muLaw != nil {
                    live.muLaw!.finish()
                    chunks = live.muLaw!.attach(to: chunks, last: true)
                }
                outcome = .closed(chunks, frames: live.encoder.frameCount - before)
            } catch {
                outcome = .failed(IngestError(code: "encoder_error", message: "\(error)"))
            }
        case .discard:
            liveEncoders[job.stream] = nil
            outcome = nil
        case .mark(let name):
            // A live stream's LAME holds back the last ~200 ms it was fed (its encoder delay and a frame) until
            // more comes. Finished, so the mark comes after all of it, and started afresh for what follows: the
            // stream gets the padding of the last frame and the new encoder's delay as silence, a pause a
            // listener hears as the end of a turn.
            guard let live = liveEncoders[job.stream] else {
                outcome = .marked(name: name)
                break
            }
            do {
                let before = live.encoder.frameCount
                var chunks = try live.encoder.finish()
                self.metrics.markFlushFrames.increment(by: Int64(live.encoder.frameCount - before))
                // The µ-law rendition is closed and started again with the MP3, so the two stay aligned as at
                // a stream's start: all the µ-law made so far rides on the flushed chunks.
                var muLaw: MuLawRendition?
                if var rendition = live.muLaw {
                    rendition.finish()
                    chunks = rendition.attach(to: chunks, last: true)
                    muLaw = MuLawRendition(
                        inputSampleRate: live.sampleRate,
                        mp3SampleRate: self.configuration.outputFormat.sampleRate
                    )
                }
                liveEncoders[job.stream] = LiveEncoder(
                    encoder: try ChunkEncoder(
                        configuration: self.configuration.lameConfiguration(inputSampleRate: live.sampleRate),
                        framesPerChunk: self.configuration.framesPerChunk
                    ),
                    channels: live.channels,
                    sampleRate: live.sampleRate,
                    muLaw: muLaw
                )
                outcome = .marked(name: name, chunks: chunks)
            } catch {
                liveEncoders[job.stream] = nil
                outcome = .failed(IngestError(code: "encoder_error", message: "\(error)"))
            }
        }
        guard let outcome else { return nil }
        return EncodingResult(origin: job.origin, stream: job.stream, generation: job.generation, outcome: outcome)
    }

    private func encodeFile(_ wav: [UInt8], loop: Bool, muLaw: Bool) -> EncodingResult.Outcome {
        let decoded: DecodedWAV
        do {
            decoded = try WAVFile.decode(wav)
        } catch {
            return .failed(IngestError(code: "invalid_wav", message: "\(error)", reason: error.code.description))
        }
        if decoded.samples.isEmpty {
            return .failed(
                IngestError(
                    code: "empty_audio",
                    message: "the WAV file holds no audio (its data chunk has no whole sample frame)"
                )
            )
        }
        do {
            let encoder = try ChunkEncoder(
                configuration: self.configuration.lameConfiguration(inputSampleRate: decoded.format.sampleRate),
                framesPerChunk: self.configuration.framesPerChunk
            )
            var chunks = try encoder.encode(decoded.samples)
            chunks += try encoder.finish()
            if muLaw {
                var rendition = MuLawRendition(
                    inputSampleRate: decoded.format.sampleRate,
                    mp3SampleRate: self.configuration.outputFormat.sampleRate
                )
                rendition.feed(decoded.samples)
                rendition.finish()
                chunks = rendition.attach(to: chunks, last: true)
            }
            self.metrics.encodedSeconds.increment(by: Double(decoded.samples.count) / Double(decoded.format.sampleRate))
            return .played(
                .init(
                    chunks: chunks,
                    loop: loop,
                    frames: encoder.frameCount,
                    inputFormat: decoded.format,
                    inputDuration: decoded.duration,
                    warnings: decoded.warnings
                )
            )
        } catch {
            return .failed(IngestError(code: "encoder_error", message: "\(error)"))
        }
    }

    private static func notOpen(_ stream: StreamID) -> IngestError {
        IngestError(code: "stream_not_open", message: "stream '\(stream)' is not open for PCM; send 'open' first")
    }
}

/// A stream's live LAME state, kept by its worker between `pcm` requests.
///
/// A class: each 20 ms piece looks it up and works on it in place, where a value in the dictionary would be
/// copied out (its encoder and rendition retained and released) and written back.
private final class LiveEncoder {
    let encoder: ChunkEncoder
    let channels: Int
    let sampleRate: Int
    /// The µ-law rendition, when the stream's `open` asked for it.
    var muLaw: MuLawRendition?

    init(encoder: ChunkEncoder, channels: Int, sampleRate: Int, muLaw: MuLawRendition?) {
        self.encoder = encoder
        self.channels = channels
        self.sampleRate = sampleRate
        self.muLaw = muLaw
    }
}

@available(*, unavailable)
extension LiveEncoder: Sendable {}
