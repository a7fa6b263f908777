import WavecastCore

/// Per-stream arrival bookkeeping for streams named `s0`…`sN-1`: media-clock anchors, sequence gaps and lateness.
///
/// A stream's clock is anchored at the arrival of its first chunk minus that chunk's timestamp; each later chunk's
/// lateness is its arrival minus (anchor + timestamp). Only chunks that arrive while ``measuring`` count.
struct ArrivalTracker {
    /// Whether arrivals now are inside the measurement window.
    var measuring = false
    /// Anchor per stream in monotonic nanoseconds; `Int64.min` until its first chunk.
    private var anchors: [Int64]
    /// Last sequence number per stream; -1 until its first chunk.
    private var lastSequences: [Int64]
    /// Lateness of each chunk received in the window, in nanoseconds (negative: early).
    private(set) var lateness: [Int64] = []
    /// Chunks received in the window.
    private(set) var received = 0
    /// Chunks missing in the window by sequence number (gaps in a stream's numbering).
    private(set) var missing = 0
    /// Streams that received at least one chunk in the window.
    private(set) var streamsSeen = 0
    /// Messages that were not chunks of `s0`…`sN-1` or did not decode.
    private(set) var otherMessages = 0
    /// Duration of the last chunk seen, in seconds (0.072 at 8 kHz with one frame per chunk).
    private(set) var chunkSeconds = 0.072
    private var seenInWindow: [Bool]

    /// Creates a tracker for `streams` streams.
    init(streams: Int) {
        self.anchors = Array(repeating: .min, count: streams)
        self.lastSequences = Array(repeating: -1, count: streams)
        self.seenInWindow = Array(repeating: false, count: streams)
        self.lateness.reserveCapacity(streams * 200)
    }

    /// Records one bus message that arrived at `arrival` (monotonic nanoseconds).
    mutating func record(_ frames: [[UInt8]], arrival: Int64) {
        guard frames.count == 3, let index = self.streamIndex(frames[0]),
            let header = try? BusHeader(decoding: frames[1]), header.kind == .chunk, header.sampleRate > 0
        else {
            self.otherMessages += 1
            return
        }
        let timestamp = Int64(header.timestampSamples) * 1_000_000_000 / Int64(header.sampleRate)
        self.chunkSeconds = Double(header.durationSamples) / Double(header.sampleRate)
        let sequence = Int64(clamping: header.sequence)
        if self.anchors[index] == .min {
            self.anchors[index] = arrival - timestamp
        } else if self.measuring {
            self.lateness.append(arrival - self.anchors[index] - timestamp)
        }
        if self.measuring {
            self.received += 1
            if !self.seenInWindow[index] {
                self.seenInWindow[index] = true
                self.streamsSeen += 1
            }
            if self.lastSequences[index] >= 0 && sequence > self.lastSequences[index] + 1 {
                self.missing += Int(sequence - self.lastSequences[index] - 1)
            }
        }
        self.lastSequences[index] = max(self.lastSequences[index], sequence)
    }

    /// The index `K` of a stream id `sK` in range, parsed from its bytes without making a string.
    private func streamIndex(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 2, bytes.count <= 8, bytes[0] == UInt8(ascii: "s") else { return nil }
        var value = 0
        for byte in bytes.dropFirst() {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value < self.anchors.count ? value : nil
    }
}
