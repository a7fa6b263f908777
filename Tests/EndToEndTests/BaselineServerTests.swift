import Foundation
import Testing
import WavecastTestSupport

/// The C yardstick that `scripts/bench` sets beside the gateway in every shape (Benchmarks/baseline/baseline.c),
/// built with AddressSanitizer: a crash there loses the row the gateway is judged against.
@Suite(.serialized, .onOwnThreads) struct BaselineServerTests {
    /// Forty clients at once over four streams are upgraded and each gets a chunk, and the sanitizer finds nothing.
    ///
    /// The baseline once read each request after freeing it (to find the stream in its path): harmless at a few
    /// clients, a segmentation fault at 5,000 on a machine whose allocator had given the memory back.
    @Test func clientsOnSeveralStreamsAreServedWithoutAMemoryError() async throws {
        let scratch = try ScratchDirectory()
        let binary = scratch.path("baseline")
        let source = RepositoryFiles.root.appendingPathComponent("Benchmarks/baseline/baseline.c").path
        let build = try ExternalTool.run("cc", ["-O1", "-g", "-fsanitize=address", "-o", binary, source])
        try #require(build.status == 0, "cc: \(build.stderr)")
        let port = try FreePort.tcp()
        let server = try ChildProcess(
            binary,
            ["\(port)", "--streams", "4"],
            environment: ["ASAN_OPTIONS": "detect_leaks=0:abort_on_error=0"]
        )
        defer { server.kill() }
        _ = try server.waitForOutput("that it listens", timeout: .seconds(10)) { $0.contains("listening on") ? 1 : nil }

        // Forty clients open at once, ten on each stream, then a frame read from each.
        let chunks: [String]
        do {
            chunks = try await blocking {
                let clients = try (0..<40).map { try RawWebSocket.open(port: port, path: "/ws/s\($0)") }
                return try clients.map { try $0.readFrame(timeout: .seconds(5))?.text ?? "" }
            }
        } catch {
            Issue.record("a client failed: \(error); baseline:\n\(server.output(waiting: true))")
            return
        }
        #expect(chunks.allSatisfy { $0.hasPrefix(#"{"event":"chunk""#) }, "\(chunks.prefix(3))")

        #expect(server.stop() == 0, "baseline:\n\(server.output(waiting: true))")
        let output = server.output(waiting: true)
        #expect(!output.contains("AddressSanitizer"), "baseline:\n\(output)")
        #expect(output.contains("upgraded 40"), "baseline:\n\(output)")
    }
}
