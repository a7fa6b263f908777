import Foundation

/// The Python scripts in Tests/EndToEndTests/Scripts, which the end-to-end tests run as clients.
enum EndToEndScript {
    /// The path of `name` (such as `fault_clients.py`) in Tests/EndToEndTests/Scripts.
    static func path(_ name: String) -> String {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // Support
            .deletingLastPathComponent()
            .appendingPathComponent("Scripts")
            .appendingPathComponent(name)
            .path
    }
}
