import Foundation
import NIOConcurrencyHelpers
import Synchronization
public import WavecastCore
public import ZeroMQ

/// A SUB socket subscribed to everything on an encoder's bus, read by a thread of its own that owns the socket.
///
/// The thread stamps each message with its arrival time as it comes in, so timing measurements do not depend on
/// when a test task gets scheduled, and no test ever blocks a Swift concurrency thread on a socket. Wait for a
/// heartbeat before publishing anything the test needs to see (the slow-joiner problem).
public final class BusTap: Sendable {
    /// What the reading thread shares with the tap; the thread holds only this, so the tap can stop it when it
    /// goes away.
    private final class Recording: Sendable {
        let received = NIOLockedValueBox<[ReceivedMessage]>([])
        let invalid = NIOLockedValueBox<[String]>([])
        let stopRequested = Atomic<Bool>(false)
        let finished = DispatchSemaphore(value: 0)
    }

    private let recording = Recording()
    /// The context, when the tap made its own (it must outlive the socket, so the tap keeps it).
    private let ownContext: ZMQContext?

    /// Connects to `endpoint` on `context` and starts reading; stop it before the context goes away.
    public convenience init(context: ZMQContext, endpoint: String, curve: CurveClientKeys? = nil) throws {
        try self.init(context: context, ownContext: nil, endpoint: endpoint, curve: curve)
    }

    /// Connects to `endpoint` on a context of its own and starts reading.
    public convenience init(endpoint: String) throws {
        let context = try ZMQContext()
        try self.init(context: context, ownContext: context, endpoint: endpoint, curve: nil)
    }

    private init(context: ZMQContext, ownContext: ZMQContext?, endpoint: String, curve: CurveClientKeys?) throws {
        self.ownContext = ownContext
        let setup = NIOLockedValueBox<Result<Void, any Error>?>(nil)
        let ready = DispatchSemaphore(value: 0)
        let thread = Thread { [recording] in
            let subscriber: ZMQSocket
            do {
                subscriber = try ZMQSocket(context: context, type: .subscriber)
                if let curve {
                    try subscriber.makeCurveClient(curve)
                }
                try subscriber.subscribe()
                try subscriber.connect(endpoint)
                setup.withLockedValue { $0 = .success(()) }
                ready.signal()
            } catch {
                setup.withLockedValue { $0 = .failure(error) }
                ready.signal()
                recording.finished.signal()
                return
            }
            Self.read(subscriber, into: recording)
            subscriber.close()
            recording.finished.signal()
        }
        thread.name = "bus-tap"
        thread.start()
        ready.wait()
        try setup.withLockedValue { $0 }!.get()
    }

    deinit {
        self.stopBlocking()
    }

    private static func read(_ subscriber: ZMQSocket, into recording: Recording) {
        while !recording.stopRequested.load(ordering: .acquiring) {
            do {
                guard try subscriber.waitReadable(timeoutMilliseconds: 10) else { continue }
                while let frames = try subscriber.receive(dontWait: true) {
                    let arrival = MonotonicTime.now()
                    do {
                        let message = try BusMessage(frames: frames)
                        recording.received.withLockedValue {
                            $0.append(ReceivedMessage(message: message, arrival: arrival))
                        }
                    } catch {
                        recording.invalid.withLockedValue { $0.append("\(error)") }
                    }
                }
            } catch {
                recording.invalid.withLockedValue { $0.append("receive failed: \(error)") }
                return
            }
        }
    }

    /// Stops the thread and closes the socket (it must be closed before its context goes away).
    public func stop() async {
        let recording = self.recording
        guard !recording.stopRequested.exchange(true, ordering: .acquiringAndReleasing) else { return }
        _ = try? await blocking { recording.finished.wait() }
    }

    /// ``stop()`` for synchronous tests (and when the tap goes away).
    public func stopBlocking() {
        guard !self.recording.stopRequested.exchange(true, ordering: .acquiringAndReleasing) else { return }
        self.recording.finished.wait()
    }

    /// Every message received so far, in arrival order.
    public var messages: [ReceivedMessage] { self.recording.received.withLockedValue { $0 } }

    /// Messages that did not decode as bus messages (there should be none).
    public var decodingFailures: [String] { self.recording.invalid.withLockedValue { $0 } }

    /// The messages of `stream` received so far, in arrival order.
    public func messages(of stream: String) -> [ReceivedMessage] {
        self.recording.received.withLockedValue { $0.filter { $0.message.streamID == stream } }
    }

    /// The chunks of `stream` received so far.
    public func chunks(of stream: String) -> [BusMessage] {
        self.messages(of: stream).chunks
    }

    /// Waits until `condition` holds for the messages received so far, and returns them.
    ///
    /// - Throws: ``HarnessError`` naming `what` if `timeout` passes first.
    @discardableResult
    public func wait(
        for what: String,
        timeout: Duration,
        until condition: ([ReceivedMessage]) -> Bool
    ) async throws -> [ReceivedMessage] {
        try await poll(for: "\(what) on the bus", timeout: timeout, every: .milliseconds(5)) {
            let snapshot = self.messages
            return condition(snapshot) ? snapshot : nil
        }
    }

    /// ``wait(for:timeout:until:)`` for synchronous tests.
    @discardableResult
    public func waitBlocking(
        for what: String,
        timeout: Duration,
        until condition: ([ReceivedMessage]) -> Bool
    ) throws -> [ReceivedMessage] {
        try pollBlocking(for: "\(what) on the bus", timeout: timeout, every: .milliseconds(5)) {
            let snapshot = self.messages
            return condition(snapshot) ? snapshot : nil
        }
    }

    /// Waits for a heartbeat, which shows the subscription is in place (the slow-joiner problem).
    public func waitForHeartbeat(timeout: Duration = .seconds(10)) async throws {
        try await self.wait(for: "a heartbeat", timeout: timeout) { Self.hasHeartbeat($0) }
    }

    /// ``waitForHeartbeat(timeout:)`` for synchronous tests.
    public func waitForHeartbeatBlocking(timeout: Duration = .seconds(10)) throws {
        try self.waitBlocking(for: "a heartbeat", timeout: timeout) { Self.hasHeartbeat($0) }
    }

    private static func hasHeartbeat(_ messages: [ReceivedMessage]) -> Bool {
        messages.contains { $0.kind == .heartbeat }
    }

    /// Waits for `count` chunks of `stream`.
    public func waitForChunks(of stream: String, count: Int, timeout: Duration) async throws {
        try await self.wait(for: "\(count) chunks of '\(stream)'", timeout: timeout) { messages in
            messages.lazy.filter { $0.message.streamID == stream && $0.kind == .chunk }.count >= count
        }
    }

    /// Waits for the `end` of `stream` and returns every message of it received by then.
    public func waitForEnd(of stream: String, timeout: Duration) async throws -> [ReceivedMessage] {
        let messages = try await self.wait(for: "the end of '\(stream)'", timeout: timeout) {
            Self.hasEnd(of: stream, in: $0)
        }
        return messages.filter { $0.message.streamID == stream }
    }

    /// ``waitForEnd(of:timeout:)`` for synchronous tests.
    public func waitForEndBlocking(of stream: String, timeout: Duration) throws -> [ReceivedMessage] {
        let messages = try self.waitBlocking(for: "the end of '\(stream)'", timeout: timeout) {
            Self.hasEnd(of: stream, in: $0)
        }
        return messages.filter { $0.message.streamID == stream }
    }

    /// The messages of `stream` once its `end` has come, or all that came within `timeout` (for a stream that does
    /// not end), for synchronous tests.
    public func messagesBlocking(of stream: String, untilEndOr timeout: Duration) -> [ReceivedMessage] {
        _ = try? self.waitBlocking(for: "the end of '\(stream)'", timeout: timeout) { Self.hasEnd(of: stream, in: $0) }
        return self.messages(of: stream)
    }

    private static func hasEnd(of stream: String, in messages: [ReceivedMessage]) -> Bool {
        messages.contains { $0.message.streamID == stream && $0.kind == .end }
    }
}
