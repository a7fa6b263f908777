import Foundation
import Testing
import WavecastTestSupport

/// The services' own threads carry their names in the kernel, so `top -H`, `perf` and `/proc` say which one is busy.
/// Linux keeps at most 15 bytes, and only for a thread that names itself: a longer name, or one set before the
/// thread starts, leaves the name of the thread that started it.
@Suite(.serialized, .onOwnThreads)
struct ThreadNamesTests {
    /// The kernel's names of `pid`'s threads.
    static func threadNames(of pid: Int32) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task").map { task in
            try String(contentsOfFile: "/proc/\(pid)/task/\(task)/comm", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    @Test func theEncodersAndTheGatewaysThreadsAreNamed() throws {
        let encoder = try EncoderProcess()
        try encoder.waitForHeartbeat()
        let gateway = try GatewayProcess(bus: encoder.bus)
        try gateway.waitUntilReady(timeout: .seconds(15))

        let encoderThreads = try Self.threadNames(of: encoder.child.pid)
        #expect(encoderThreads.contains("wc-reactor"), "\(encoderThreads)")
        #expect(encoderThreads.contains("wc-encoding-0"), "\(encoderThreads)")
        #expect(encoderThreads.contains("wc-encoding-1"), "\(encoderThreads)")
        let gatewayThreads = try Self.threadNames(of: gateway.child.pid)
        #expect(gatewayThreads.contains("wc-bus"), "\(gatewayThreads)")
        #expect(gateway.stop() == 0)
        #expect(encoder.stop() == 0)
    }
}
