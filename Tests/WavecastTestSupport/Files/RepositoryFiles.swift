public import Foundation

/// Files of this repository, found from where this source file sits in it.
public enum RepositoryFiles {
    /// The repository's root folder.
    public static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Files
        .deletingLastPathComponent()  // WavecastTestSupport
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    /// A code block of the documentation that a test runs as written: the first fenced block after the comment
    /// `<!-- marker…` in `document`, between its opening fence (```` ```python ````) and the closing one.
    ///
    /// - Parameters:
    ///   - marker: The name the comment starts with, such as `pyzmq-snippet`.
    ///   - document: The file's path from the repository's root.
    ///   - language: The opening fence's language.
    /// - Returns: The block's lines, each with its newline.
    /// - Throws: ``HarnessError`` when the document has no such block.
    public static func snippet(
        marker: String,
        in document: String = "README.md",
        language: String = "python"
    ) throws -> String {
        let text = try String(contentsOf: Self.root.appendingPathComponent(document), encoding: .utf8)
        guard let comment = text.range(of: "<!-- \(marker)"),
            let open = text.range(of: "```\(language)\n", range: comment.upperBound..<text.endIndex),
            let close = text.range(of: "```", range: open.upperBound..<text.endIndex)
        else {
            throw HarnessError("\(document) has no ```\(language) block after a `<!-- \(marker)` comment")
        }
        return String(text[open.upperBound..<close.lowerBound])
    }
}
