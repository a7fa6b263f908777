import WavecastCore

/// A stream the gateway has just subscribed to, while it waits for the encoder's replay: the replay's chunks and any
/// live ones that overtake it, put together into the burst for the stream's first listeners. Pure: no I/O, no clock.
///
/// The encoder answers a new subscription with the stream's recent chunks (flagged replay, the last also replay
/// end). libzmq may apply the subscription while the encoder is still publishing, so live chunks can arrive before
/// the replay, or between its chunks; both are kept, by sequence, and the burst is cut from the newest of them. A
/// stream with nothing to replay (not started yet, or an encoder keeping no window) sends no replay: the catch-up
/// then ends at its deadline.
struct ReplayCatchUp: Sendable {
    /// When the wait ends even without a replay's end (monotonic nanoseconds).
    let deadline: UInt64
    /// Chunks held so far, in sequence order, each once.
    private(set) var chunks: [BusMessage] = []

    init(deadline: UInt64) {
        self.deadline = deadline
    }

    /// Holds `chunk` (replayed or live) unless a chunk with its sequence is held already.
    mutating func hold(_ chunk: BusMessage) {
        let sequence = chunk.header.sequence
        guard let last = self.chunks.last, sequence <= last.header.sequence else {
            self.chunks.append(chunk)
            return
        }
        let index = self.chunks.firstIndex { $0.header.sequence >= sequence }!
        guard self.chunks[index].header.sequence != sequence else { return }
        self.chunks.insert(chunk, at: index)
    }

    /// The held chunks a first listener gets: the newest ones covering at most `limitNanoseconds`, from the first
    /// a decoder can start on, and only those contiguous with the newest (a gap before them cannot be played through).
    func burst(limitNanoseconds: UInt64) -> ArraySlice<BusMessage> {
        var first = self.chunks.count
        var covered: UInt64 = 0
        while first > 0 {
            let header = self.chunks[first - 1].header
            if first < self.chunks.count, header.sequence &+ 1 != self.chunks[first].header.sequence {
                break
            }
            let duration = MediaClock.nanoseconds(
                samples: UInt64(header.durationSamples),
                sampleRate: max(1, Int(header.sampleRate))
            )
            guard covered + duration <= limitNanoseconds else { break }
            covered += duration
            first -= 1
        }
        while first < self.chunks.count, !self.chunks[first].header.isSync {
            first += 1
        }
        return self.chunks[first...]
    }
}
