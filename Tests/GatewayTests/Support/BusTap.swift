import Foundation
import NIOConcurrencyHelpers
import Synchronization
import WavecastCore
import ZeroMQ

/// A SUB socket beside the gateways, recording everything the encoder publishes, on a thread of its own.
final class BusTap: Sendable {
    /// One bus message and when the tap's thread received it.
    struct Received: Sendable {
        var message: BusMessage
        var arrival: MonotonicTime
    }

    private let received = NIOLockedValueBox<[Received]>([])
    private let stopRequested = Atomic<Bool>(false)
    private let done = DispatchSemaphore(value: 0)

    /// Connects to `endpoint` and starts recording.
    init(context: ZMQContext, endpoint: String) throws {
        let socket = try ZMQSocket(context: context, type: .subscriber)
        try socket.subscribe()
        try socket.connect(endpoint)
        let box = SocketBox(socket)
        let thread = Thread { [self] in
            let socket = box.socket
            while !self.stopRequested.load(ordering: .acquiring) {
                guard (try? socket.waitReadable(timeoutMilliseconds: 10)) == true else { continue }
                while let frames = try? socket.receive(dontWait: true) {
                    let arrival = MonotonicTime.now()
                    if let message = try? BusMessage(frames: frames) {
                        self.received.withLockedValue { $0.append(Received(message: message, arrival: arrival)) }
                    }
                }
            }
            socket.close()
            self.done.signal()
        }
        thread.name = "bus-tap"
        thread.start()
    }

    /// Stops the thread and closes the socket.
    func stop() async {
        guard !self.stopRequested.exchange(true, ordering: .acquiringAndReleasing) else { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                self.done.wait()
                continuation.resume()
            }
        }
    }

    /// Every message so far.
    var messages: [Received] { self.received.withLockedValue { $0 } }

    /// The messages of `stream` so far.
    func messages(of stream: String) -> [Received] {
        self.messages.filter { $0.message.streamID == stream }
    }

    /// The chunks of `stream` so far.
    func chunks(of stream: String) -> [BusMessage] {
        self.messages(of: stream).map(\.message).filter { $0.header.kind == .chunk }
    }

    /// Waits until `condition` holds.
    func wait(for what: String, timeout: Duration, until condition: ([Received]) -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition(self.messages) {
            if ContinuousClock.now >= deadline {
                throw FixtureError("timed out after \(timeout) waiting for \(what) on the bus")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Waits for a heartbeat: from then on the tap misses nothing (the slow-joiner problem).
    func waitForHeartbeat(timeout: Duration = .seconds(5)) async throws {
        try await self.wait(for: "a heartbeat", timeout: timeout) {
            $0.contains { $0.message.header.kind == .heartbeat }
        }
    }

    /// Waits for the `end` of `stream` and returns its chunks.
    func waitForEnd(of stream: String, timeout: Duration) async throws -> [BusMessage] {
        try await self.wait(for: "the end of \(stream)", timeout: timeout) { messages in
            messages.contains { $0.message.streamID == stream && $0.message.header.kind == .end }
        }
        return self.chunks(of: stream)
    }
}

/// Hands a socket to the one thread that uses it from then on.
private final class SocketBox: @unchecked Sendable {
    // Thread safety: created on the test's thread, then used only by the tap's thread.
    let socket: ZMQSocket

    init(_ socket: ZMQSocket) {
        self.socket = socket
    }
}
