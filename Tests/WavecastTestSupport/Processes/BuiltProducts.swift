public import Foundation

/// Where the package's built executables are: beside the test bundle that is running.
public enum BuiltProducts {
    /// The build directory (`.build/debug`, or the sanitizer pass's).
    public static var directory: URL {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
    }

    /// The path of executable `name` (`wavecast`, `wavecast-encoder`, `wavecast-gateway`, …).
    public static func path(_ name: String) -> String {
        self.directory.appendingPathComponent(name).path
    }
}
