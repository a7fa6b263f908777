public import Foundation

/// A fresh temporary directory, removed with everything in it when the value goes away.
public final class ScratchDirectory: Sendable {
    /// Where it is.
    public let url: URL

    /// Creates the directory under the system's temporary directory.
    public init() throws {
        self.url = FileManager.default.temporaryDirectory.appendingPathComponent("wavecast-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: self.url, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: self.url)
    }

    /// The path of `name` inside the directory.
    public func path(_ name: String) -> String {
        self.url.appendingPathComponent(name).path
    }

    /// The bytes of file `name`.
    public func read(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: self.url.appendingPathComponent(name)))
    }

    /// Writes `bytes` to file `name` and returns its path.
    @discardableResult
    public func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        try Data(bytes).write(to: self.url.appendingPathComponent(name))
        return self.path(name)
    }
}
