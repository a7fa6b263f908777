public import Foundation

/// Files of this repository, found from where this source file sits in it.
public enum RepositoryFiles {
    /// The repository's root folder.
    public static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Files
        .deletingLastPathComponent()  // WavecastTestSupport
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    /// The README.md code block a test runs as written: the first fenced block after the comment
    /// `<!-- marker…`, between its opening fence (```` ```python ````) and the closing one.
    ///
    /// - Parameters:
    ///   - marker: The name the comment starts with, such as `pyzmq-snippet`.
    ///   - language: The opening fence's language.
    /// - Returns: The block's lines, each with its newline.
    /// - Throws: ``HarnessError`` when README.md has no such block.
    public static func readmeSnippet(marker: String, language: String = "python") throws -> String {
        let text = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        guard let comment = text.range(of: "<!-- \(marker)"),
            let open = text.range(of: "```\(language)\n", range: comment.upperBound..<text.endIndex),
            let close = text.range(of: "```", range: open.upperBound..<text.endIndex)
        else {
            throw HarnessError("README.md has no ```\(language) block after a `<!-- \(marker)` comment")
        }
        return String(text[open.upperBound..<close.lowerBound])
    }
}
