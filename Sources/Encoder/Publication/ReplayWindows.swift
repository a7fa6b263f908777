import DequeModule
import WavecastCore

/// Each stream's most recent chunks, as published, so a new subscriber to a stream can be sent them at once
/// (the zguide's last-value cache, for a window of audio rather than one value).
///
/// A gateway subscribes to a stream when its first listener of the stream arrives; without a replay that listener
/// would wait for live chunks to build up a burst. Pure bookkeeping: no sockets, no clock.
struct ReplayWindows: Sendable {
    private struct Window: Sendable {
        var chunks: Deque<BusMessage> = []
        var samples: UInt64 = 0
    }

    /// How much audio each window keeps, in samples at the stream's rate; 0 keeps nothing.
    let capacitySamples: UInt64
    private var windows: [StreamID: Window] = [:]

    /// Makes empty windows holding `duration` of audio each, at `sampleRate`.
    init(duration: Duration, sampleRate: Int) {
        let nanoseconds = duration.wholeNanoseconds
        self.capacitySamples = nanoseconds * UInt64(sampleRate) / 1_000_000_000
    }

    /// Number of streams with a window.
    var count: Int { self.windows.count }

    /// A new incarnation of `stream` starts: what was kept belongs to the previous one.
    mutating func started(_ stream: StreamID) {
        self.windows[stream] = nil
    }

    /// Keeps `chunk` (a chunk message just published), dropping the oldest chunks past the capacity.
    mutating func record(_ chunk: BusMessage, on stream: StreamID) {
        guard self.capacitySamples > 0 else { return }
        var window = self.windows.removeValue(forKey: stream) ?? Window()
        window.chunks.append(chunk)
        window.samples += UInt64(chunk.header.durationSamples)
        while window.samples > self.capacitySamples, window.chunks.count > 1 {
            window.samples -= UInt64(window.chunks.removeFirst().header.durationSamples)
        }
        self.windows[stream] = window
    }

    /// `stream` ended: nothing of it is replayed any more.
    mutating func ended(_ stream: StreamID) {
        self.windows[stream] = nil
    }

    /// What a new subscriber to `stream` is sent: the kept chunks from the first one a decoder can start on,
    /// flagged as replays, the last also as the replay's end; empty when there is none.
    func replay(of stream: StreamID) -> [BusMessage] {
        guard let window = self.windows[stream], let first = window.chunks.firstIndex(where: \.header.isSync) else {
            return []
        }
        let last = window.chunks.count - 1
        return (first...last).map { window.chunks[$0].asReplay(isLast: $0 == last) }
    }
}
