import WavecastCore

/// A stream's µ-law rendition, made on its encoding thread beside the MP3: the PCM given to LAME is also resampled to
/// 8 kHz (``TelephonyResampler``, a proper low-pass) and G.711-µ-law-encoded (``MuLaw``), and each MP3 chunk LAME
/// completes takes the µ-law bytes of the same duration.
///
/// So the µ-law travels with its MP3 chunk through the scheduler: paced with it, dropped with it by `clear`, replayed
/// with it. The split is exact over a stream's life: chunk *k* gets `floor((s_0 + … + s_k) × 8000 / rate)` minus
/// what the chunks before it got (s: MP3 samples, rate: the MP3's), so the fractional remainders are carried and
/// nothing drifts, whatever the MP3 rate. LAME's output lags the PCM by its delay (about 1,100 samples at 8 kHz), so
/// the µ-law bytes are ready before the chunk that takes them; a chunk that finds too few (only possible at the very
/// start) takes silence for the rest, and the last chunks of a stream (LAME's delay and padding, flushed at the end)
/// take silence once the PCM is all used — any µ-law left over then goes on the last chunk. The µ-law has no codec
/// delay, so chunk *k*'s µ-law is the PCM that LAME's chunk *k* starts about 138 ms later in: a call hears each word
/// that much sooner than the MP3 would play it.
///
/// Not `Sendable`: it lives on the stream's encoding thread.
struct MuLawRendition {
    private var resampler: TelephonyResampler
    /// µ-law bytes made and not yet attached to a chunk; `pendingStart` is the first still pending.
    private var pending: [UInt8] = []
    private var pendingStart = 0
    private var resampled: [Float] = []
    /// The MP3's sample rate.
    private let mp3SampleRate: Int
    /// MP3 samples attached so far × 8000, modulo the MP3 rate: the fraction of a µ-law byte owed.
    private var remainder = 0

    /// Makes the rendition of a stream whose PCM arrives at `inputSampleRate` and whose MP3 is at `mp3SampleRate`.
    init(inputSampleRate: Int, mp3SampleRate: Int) {
        self.resampler = TelephonyResampler(inputRate: inputSampleRate)
        self.mp3SampleRate = mp3SampleRate
    }

    /// Resamples and encodes the stream's next mono PCM (the samples LAME is about to be given).
    mutating func feed(_ samples: [Float]) {
        self.resampler.process(samples, into: &self.resampled)
        self.encodeResampled()
    }

    /// The PCM is over: the resampler's last samples are encoded.
    mutating func finish() {
        self.resampler.finish(into: &self.resampled)
        self.encodeResampled()
    }

    /// Gives each of `chunks` (the MP3 chunks just completed, in order) its µ-law bytes; with `last`, these are the
    /// stream's (or file's) last chunks, and whatever µ-law is left goes on the final one.
    mutating func attach(to chunks: [MP3Chunk], last: Bool) -> [MP3Chunk] {
        var attached = chunks
        for index in attached.indices {
            let owed = self.remainder + attached[index].sampleCount * TelephonyResampler.outputRate
            let count = owed / self.mp3SampleRate
            self.remainder = owed % self.mp3SampleRate
            let available = min(count, self.pending.count - self.pendingStart)
            var bytes = Array(self.pending[self.pendingStart..<self.pendingStart + available])
            self.pendingStart += available
            if available < count {
                bytes += repeatElement(MuLaw.silence, count: count - available)
            }
            if last && index == attached.count - 1 {
                bytes += self.pending[self.pendingStart...]
                self.pendingStart = self.pending.count
            }
            attached[index].muLaw = bytes
        }
        // Drop what was taken once it is most of the buffer, so it does not grow with the stream.
        if self.pendingStart > 4096 || self.pendingStart == self.pending.count {
            self.pending.removeFirst(self.pendingStart)
            self.pendingStart = 0
        }
        return attached
    }

    private mutating func encodeResampled() {
        self.pending.reserveCapacity(self.pending.count + self.resampled.count)
        for sample in self.resampled {
            self.pending.append(MuLaw.encode(sample))
        }
        self.resampled.removeAll(keepingCapacity: true)
    }
}

@available(*, unavailable)
extension MuLawRendition: Sendable {}
