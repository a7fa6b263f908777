import Dispatch
import Foundation
import NIOConcurrencyHelpers
import Synchronization
import WavecastCore
import ZeroMQ

/// A SUB socket subscribed to everything on the bus, read by a thread of its own.
///
/// The thread stamps each message with its arrival time as it comes in, so timing measurements do not
/// depend on when a test task gets scheduled, and no test ever blocks a Swift concurrency thread on a socket.
final class BusRecorder: Sendable {
    private let received = NIOLockedValueBox<[ReceivedMessage]>([])
    private let invalid = NIOLockedValueBox<[String]>([])
    private let stopRequested = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    /// Connects to `endpoint` and starts reading.
    init(context: ZMQContext, endpoint: String) throws {
        let setup = NIOLockedValueBox<Result<Void, any Error>?>(nil)
        let ready = DispatchSemaphore(value: 0)
        let thread = Thread { [self] in
            let subscriber: ZMQSocket
            do {
                subscriber = try ZMQSocket(context: context, type: .subscriber)
                try subscriber.subscribe()
                try subscriber.connect(endpoint)
                setup.withLockedValue { $0 = .success(()) }
                ready.signal()
            } catch {
                setup.withLockedValue { $0 = .failure(error) }
                ready.signal()
                self.finished.signal()
                return
            }
            self.read(subscriber)
            subscriber.close()
            self.finished.signal()
        }
        thread.name = "bus-recorder"
        thread.start()
        ready.wait()
        try setup.withLockedValue { $0 }!.get()
    }

    private func read(_ subscriber: ZMQSocket) {
        while !self.stopRequested.load(ordering: .acquiring) {
            do {
                guard try subscriber.waitReadable(timeoutMilliseconds: 10) else { continue }
                while let frames = try subscriber.receive(dontWait: true) {
                    let arrival = MonotonicTime.now()
                    do {
                        let message = try BusMessage(frames: frames)
                        self.received.withLockedValue { $0.append(ReceivedMessage(message: message, arrival: arrival)) }
                    } catch {
                        self.invalid.withLockedValue { $0.append("\(error)") }
                    }
                }
            } catch {
                self.invalid.withLockedValue { $0.append("receive failed: \(error)") }
                return
            }
        }
    }

    /// Stops the thread and closes the socket (it must be closed before its context goes away).
    func stop() async {
        guard !self.stopRequested.exchange(true, ordering: .acquiringAndReleasing) else { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                self.finished.wait()
                continuation.resume()
            }
        }
    }

    /// Every message received so far, in arrival order.
    var messages: [ReceivedMessage] { self.received.withLockedValue { $0 } }

    /// Messages that did not decode as bus messages (there should be none).
    var decodingFailures: [String] { self.invalid.withLockedValue { $0 } }

    /// The messages of `stream` received so far, in arrival order.
    func messages(of stream: String) -> [ReceivedMessage] {
        self.received.withLockedValue { $0.filter { $0.message.streamID == stream } }
    }

    /// Waits until `condition` holds for the messages received so far.
    ///
    /// - Throws: ``HarnessError`` naming `what` if `timeout` passes first.
    @discardableResult
    func wait(
        for what: String,
        timeout: Duration,
        until condition: ([ReceivedMessage]) -> Bool
    ) async throws -> [ReceivedMessage] {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            let snapshot = self.messages
            if condition(snapshot) {
                return snapshot
            }
            if clock.now >= deadline {
                throw HarnessError("timed out after \(timeout) waiting for \(what) on the bus")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Waits for a heartbeat, which shows the subscription is in place (the slow-joiner problem).
    func waitForHeartbeat(timeout: Duration = .seconds(5)) async throws {
        try await self.wait(for: "a heartbeat", timeout: timeout) { messages in
            messages.contains { $0.kind == .heartbeat }
        }
    }

    /// Waits for `count` chunks of `stream`.
    func waitForChunks(of stream: String, count: Int, timeout: Duration) async throws {
        try await self.wait(for: "\(count) chunks of '\(stream)'", timeout: timeout) { messages in
            messages.lazy.filter { $0.message.streamID == stream && $0.kind == .chunk }.count >= count
        }
    }

    /// Waits for the `end` of `stream` and returns everything the stream published up to it.
    func waitForEnd(of stream: String, timeout: Duration) async throws -> RecordedStream {
        let messages = try await self.wait(for: "the end of '\(stream)'", timeout: timeout) { messages in
            messages.contains { $0.message.streamID == stream && $0.kind == .end }
        }
        return RecordedStream(id: stream, messages: messages.filter { $0.message.streamID == stream })
    }
}
