#if canImport(Glibc)
import Glibc
#endif

/// Writes a line (or, with `terminator: ""`, a partial line) to standard error.
func printError(_ text: String, terminator: String = "\n") {
    let line = text + terminator
    var remaining = Array(line.utf8)[...]
    while !remaining.isEmpty {
        let written = remaining.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        guard written > 0 else { return }
        remaining = remaining.dropFirst(written)
    }
}

extension String {
    /// A number with two decimals, without Foundation's formatter.
    init(format2 value: Double) {
        let hundredths = Int((value * 100).rounded())
        let fraction = abs(hundredths % 100)
        self = "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    /// Seconds as a person writes them: `2`, `0.5`, `1.25` (to the hundredth).
    init(seconds value: Double) {
        var text = String(format2: value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        self = text
    }
}

/// A one-line progress bar of a stream's playback, redrawn in place on standard error.
struct PlaybackBar {
    let stream: String
    private var drawn = false

    init(stream: String) {
        self.stream = stream
    }

    mutating func draw(elapsed: Int, total: Int, looping: Bool) {
        let width = 30
        let fraction = total > 0 ? min(1, Double(elapsed) / Double(total)) : 0
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let time = "\(Self.clock(elapsed)) / \(Self.clock(total))"
        printError("\r\(self.stream) [\(bar)] \(time)\(looping ? " (looping)" : "")   ", terminator: "")
        self.drawn = true
    }

    mutating func finish(ended: Bool) {
        if self.drawn { printError("") }
        if ended { printError("\(self.stream): ended") }
    }

    private static func clock(_ milliseconds: Int) -> String {
        let seconds = milliseconds / 1000
        let tenths = (milliseconds % 1000) / 100
        return "\(seconds / 60):\(seconds % 60 < 10 ? "0" : "")\(seconds % 60).\(tenths)"
    }
}

/// Bytes sent so far, shown when a big file is streamed.
struct TransferProgress {
    let label: String
    private var bytes = 0

    init(label: String) {
        self.label = label
    }

    mutating func add(_ count: Int) {
        self.bytes += count
        printError("\r\(self.label): \(self.bytes / 1_048_576) MiB of PCM sent", terminator: "")
    }

    func finish() {
        if self.bytes > 0 { printError("") }
    }
}
