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
    func aProcessThatDiesAfterACrashMessageIsRecognised(message: String) throws {
        // Exit status 66, as ThreadSanitizer's handler ends a process (SIGABRT may be ignored in the test runner,
        // and an ignored signal stays ignored in its children).
        let child = try ChildProcess("sh", ["-c", "echo \"$0\" >&2; exit 66", message])
        #expect(child.waitForExit(timeout: .seconds(10)) != nil, "sh did not exit")
        #expect(child.saidWhatACrashSays, "\(child.output(waiting: true))")
    }

    /// Killed by a signal after saying it: a process that hung while dying, killed by the harness.
    @Test func aProcessKilledAfterACrashMessageIsRecognised() throws {
        let script = "echo 'Assertion failed: !_more (src/fq.cpp:80)' >&2; kill -KILL $$"
        let child = try ChildProcess("sh", ["-c", script])
        #expect(child.waitForExit(timeout: .seconds(10)) != nil, "sh did not exit")
        #expect(child.saidWhatACrashSays, "\(child.output(waiting: true))")
    }

    /// Exit status 0: the words alone are not a crash (a test client may print them).
    @Test func aProcessThatExitsCleanlyIsNotEvenIfItSaysTheWords() throws {
        let child = try ChildProcess("sh", ["-c", "echo 'Fatal error: only words'; exit 0"])
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
