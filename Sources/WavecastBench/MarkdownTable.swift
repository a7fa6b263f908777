/// A Markdown table as the bench prints it: a header row, a separator, then the rows, each cell padded with one
/// space (an empty cell prints as `| |`, as the tables in docs/BENCHMARKS.md have it).
public struct MarkdownTable: Sendable, Hashable {
    /// The column headings.
    public var header: [String]
    /// The rows so far; a row may have fewer cells than the header (a failed measurement's), never more.
    public var rows: [[String]] = []

    /// Creates an empty table with these column headings.
    public init(header: [String]) {
        self.header = header
    }

    /// Adds a row; missing trailing cells are left empty, so a row that says "did not start" stays aligned.
    public mutating func append(_ cells: [String]) {
        var cells = cells
        if cells.count < self.header.count {
            cells += Array(repeating: "", count: self.header.count - cells.count)
        }
        self.rows.append(cells)
    }

    /// The table as lines of Markdown.
    public var lines: [String] {
        [Self.render(self.header), "|" + Array(repeating: "---|", count: self.header.count).joined()]
            + self.rows.map(Self.render)
    }

    /// The table as Markdown text, one line per row (ending with a newline).
    public var text: String { self.lines.map { $0 + "\n" }.joined() }

    /// One row: `| a | b |`, an empty cell as `| |`.
    private static func render(_ cells: [String]) -> String {
        "|" + cells.map { $0.isEmpty ? " |" : " \($0) |" }.joined()
    }
}
