import WavecastCore

/// An ingest operation without its arguments: what the encoder counts, and what a reply names in `op`.
enum IngestOperation: String, Sendable, Hashable, CaseIterable {
    case play, open, pcm, close, stop, clear, mark, marks, status

    /// The kind of `operation`.
    init(_ operation: IngestRequest.Operation) {
        switch operation {
        case .play: self = .play
        case .open: self = .open
        case .pcm: self = .pcm
        case .close: self = .close
        case .stop: self = .stop
        case .clear: self = .clear
        case .mark: self = .mark
        case .marks: self = .marks
        case .status: self = .status
        }
    }
}
