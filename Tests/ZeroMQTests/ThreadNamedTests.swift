import Foundation
import NIOConcurrencyHelpers
import Testing
import ZeroMQ

/// `Thread.start(named:)`: the kernel knows the thread by its name as soon as its body runs, every time.
struct ThreadNamedTests {
    /// What the started thread read as its own kernel name, one entry per start.
    static func kernelNames(starting name: String, times: Int) throws -> [String] {
        let names = NIOLockedValueBox<[String]>([])
        let done = DispatchSemaphore(value: 0)
        for _ in 0..<times {
            Thread.start(named: name) {
                let own = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? "unreadable"
                names.withLockedValue { $0.append(own.trimmingCharacters(in: .whitespacesAndNewlines)) }
                done.signal()
            }
        }
        for _ in 0..<times {
            try #require(done.wait(timeout: .now() + 10) == .success, "a named thread did not run within 10 s")
        }
        return names.withLockedValue { $0 }
    }

    /// Many starts in a row: the name must not depend on which of the two threads runs first.
    @Test func theBodyRunsUnderItsName() throws {
        #expect(try Self.kernelNames(starting: "wc-test", times: 50) == Array(repeating: "wc-test", count: 50))
    }

    @Test func aLongerNameIsCutToWhatTheKernelKeeps() throws {
        #expect(try Self.kernelNames(starting: "wc-encoding-12345", times: 1) == ["wc-encoding-123"])
    }
}
