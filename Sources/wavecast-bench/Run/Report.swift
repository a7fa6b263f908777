import Foundation
import WavecastBench

#if canImport(Glibc)
import Glibc
#endif

/// What the run prints: `== step` headings, indented notes, tables; as the shell driver printed them. Each write is
/// flushed, so a long run piped into `tee` shows each line as it comes.
enum Report {
    /// One line of standard output, flushed.
    static func line(_ text: some StringProtocol) {
        print(text)
        fflush(nil)
    }

    /// A heading, after a blank line.
    static func step(_ text: String) {
        Self.line("\n== \(text)")
    }

    /// An indented note under a heading or a table.
    static func note(_ text: String) {
        Self.line("   \(text)")
    }

    /// A table, with a blank line before it and after it.
    static func table(_ table: MarkdownTable) {
        Self.line("\n" + table.text)
    }

    /// A message for the person running the bench, on standard error (a process that did not start, what a
    /// measurement said when it failed).
    static func warn(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
