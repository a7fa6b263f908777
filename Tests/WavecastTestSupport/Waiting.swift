import Foundation
import WavecastCore

/// Runs blocking work (a socket read, a child process) on a thread of its own, off the Swift concurrency threads.
///
/// Not on Dispatch's global queue: several tests blocking there for seconds at once starve it, and then a quick
/// `GET` waits behind them.
public func blocking<Value: Sendable>(_ body: @escaping @Sendable () throws -> Value) async throws -> Value {
    try await withCheckedThrowingContinuation { continuation in
        // Named from the thread itself: on Linux, Foundation does not apply a name given before `start()`.
        Thread {
            Thread.current.name = "test-blocking"
            continuation.resume(with: Result { try body() })
        }.start()
    }
}

/// Polls `condition` every `interval` until it returns a value, or throws ``HarnessError`` naming `what` once
/// `timeout` has passed.
public func poll<Value>(
    for what: @autoclosure () -> String,
    timeout: Duration,
    every interval: Duration = .milliseconds(10),
    _ condition: () throws -> Value?
) async throws -> Value {
    let deadline = ContinuousClock.now + timeout
    while true {
        if let value = try condition() { return value }
        if ContinuousClock.now >= deadline {
            throw HarnessError("timed out after \(timeout) waiting for \(what())")
        }
        try await Task.sleep(for: interval)
    }
}

/// ``poll(for:timeout:every:_:)`` for synchronous tests: sleeps the calling thread between checks.
public func pollBlocking<Value>(
    for what: @autoclosure () -> String,
    timeout: Duration,
    every interval: Duration = .milliseconds(10),
    _ condition: () throws -> Value?
) throws -> Value {
    let deadline = ContinuousClock.now + timeout
    while true {
        if let value = try condition() { return value }
        if ContinuousClock.now >= deadline {
            throw HarnessError("timed out after \(timeout) waiting for \(what())")
        }
        usleep(UInt32(clamping: interval.wholeNanoseconds / 1000))
    }
}

/// Runs `body`, then `tearDown` whether `body` returned or threw (`defer` cannot `await`), and hands back what
/// `body` returned or threw.
public func withTearDown<Result>(
    _ body: () async throws -> Result,
    tearDown: () async -> Void
) async throws -> Result {
    let result: Result
    do {
        result = try await body()
    } catch {
        await tearDown()
        throw error
    }
    await tearDown()
    return result
}
