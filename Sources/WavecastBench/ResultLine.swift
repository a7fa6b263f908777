/// One `kind key=value key=value …` line, as the measuring subcommands (`encode`, `streams`, `live`, `fanout`)
/// print their results; the run's tables read their figures from it.
public struct ResultLine: Sendable, Hashable {
    /// The first word (`fanout`, `streams`, …), which says what measured the figures.
    public var kind: String
    /// The words after the first, split at their first `=`, in order (a key may repeat: the first one counts).
    public var words: [Substring]

    /// Parses `line`, whitespace-separated words of which the first names the kind.
    public init(_ line: String) {
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        self.kind = words.first.map(String.init) ?? ""
        self.words = Array(words.dropFirst())
    }

    /// The value of `key`, or `-` when the line does not have it: a missing figure shows as `-` in a table,
    /// so a half-failed measurement still prints its row.
    public subscript(_ key: String) -> String {
        let prefix = key + "="
        for word in self.words where word.hasPrefix(prefix) {
            return String(word.dropFirst(prefix.count))
        }
        return "-"
    }

    /// The last line of `output` whose first word is `kind`, or `nil`: a subcommand prints a readable report
    /// first and its result line last.
    public static func last(ofKind kind: String, in output: String) -> ResultLine? {
        output.split(separator: "\n").reversed().lazy.map { ResultLine(String($0)) }.first { $0.kind == kind }
    }
}
