#if canImport(Glibc)
import Glibc
#endif

/// The external programs the run calls (espeak-ng, sox, ffmpeg, cc, haproxy): found in `PATH`, or said to be missing.
enum Tools {
    /// The path of `name` (as is when it holds a `/`), or `nil` when no executable file of that name is in `PATH`.
    static func locate(_ name: String) -> String? {
        if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// Fails naming the first of `names` that is missing.
    ///
    /// - Throws: ``BenchError`` saying which tool is needed and that scripts/test installs it.
    static func require(_ names: [String]) throws(BenchError) {
        for name in names where Self.locate(name) == nil {
            throw BenchError("'\(name)' is needed (scripts/test installs it)")
        }
    }
}
