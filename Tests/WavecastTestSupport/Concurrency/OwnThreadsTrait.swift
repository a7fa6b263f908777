public import Testing

/// Runs each test of the suite it marks on ``BlockingTaskExecutor/shared``, where it may block a thread without
/// stalling the tests of other suites running beside it.
///
/// Child tasks (`async let`, task groups) follow the test onto those threads (not all of them in a ThreadSanitizer
/// build, where some run on the cooperative pool); the services a test starts keep their own event loops and threads.
public struct OwnThreadsTrait: SuiteTrait, TestTrait, TestScoping {
    /// Recursive, so that each test of the suite (and each case of a parameterized one) is scoped, not only the
    /// suite once: the preference must surround the test's own task.
    public var isRecursive: Bool { true }

    /// Runs `function` (the test, or the suite) with ``BlockingTaskExecutor/shared`` as its task executor.
    public func provideScope(
        for test: Test,
        testCase: Test.Case?,
        performing function: @Sendable () async throws -> Void
    ) async throws {
        try await withTaskExecutorPreference(BlockingTaskExecutor.shared) { try await function() }
    }
}

extension Trait where Self == OwnThreadsTrait {
    /// Runs the suite's tests on threads of their own: for suites that block (child processes, socket reads).
    public static var onOwnThreads: Self { Self() }
}
