/// A `HOST:PORT` listening address, as options like `--http` and `--listen` take it.
public struct HostAndPort: Sendable, Hashable, CustomStringConvertible {
    /// The host or address, e.g. `0.0.0.0`.
    public var host: String
    /// The port, 0–65535 (0: let the kernel pick).
    public var port: Int

    /// Parses `HOST:PORT`; `nil` when the text is not of that form.
    public init?(parsing text: String) {
        guard let colon = text.lastIndex(of: ":"), colon != text.startIndex,
            let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port)
        else { return nil }
        self.host = String(text[..<colon])
        self.port = port
    }

    public var description: String { "\(self.host):\(self.port)" }
}
