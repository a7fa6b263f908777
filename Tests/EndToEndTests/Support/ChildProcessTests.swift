import Foundation
import Testing
import WavecastTestSupport

/// The harness's child processes: one that dies saying what a crash says is recognised, so its output is printed
/// even when no test fails over it.
@Suite(.onOwnThreads) struct ChildProcessTests {
    @Test(arguments: [
        "Assertion failed: !_more (src/fq.cpp:80)",
        "Fatal error: Simultaneous accesses to 0x7f0000001000, but modification requires exclusive access",
        "ThreadSanitizer:DEADLYSIGNAL",
        "terminate called after throwing an instance of 'std::runtime_error'",
    ])
    func aProcessThatAbortsAfterACrashMessageIsRecognised(message: String) throws {
        let child = try ChildProcess("sh", ["-c", "echo \"$0\" >&2; kill -ABRT $$", message])
        #expect(child.waitForExit(timeout: .seconds(10)) != nil, "sh did not exit")
        #expect(child.saidWhatACrashSays, "\(child.output(waiting: true))")
    }

    @Test func aProcessThatEndsNormallyIsNot() throws {
        let child = try ChildProcess("sh", ["-c", "echo 'Gateway stopped'; exit 0"])
        #expect(child.waitForExit(timeout: .seconds(10)) == 0)
        #expect(!child.saidWhatACrashSays, "\(child.output(waiting: true))")
    }

    @Test func aProcessStillRunningIsNot() throws {
        let child = try ChildProcess("sh", ["-c", "echo 'Assertion failed: not yet'; exec sleep 30"])
        defer { child.kill() }
        _ = try child.waitForOutput("its line") { $0.contains("Assertion failed") ? true : nil }
        #expect(!child.saidWhatACrashSays)
    }
}
