import Foundation
import NIOConcurrencyHelpers
import Synchronization
import WavecastCore
import WavecastTestSupport

/// A WebSocket client of one stream whose own thread reads every frame and stamps its arrival.
///
/// Stamping on the reading thread keeps timing measurements free of test-task scheduling. When
/// the server sends a close frame the listener echoes it (as RFC 6455 asks) and stops.
final class WebSocketListener: Sendable {
    /// One frame and when it arrived.
    struct Received: Sendable {
        var frame: RawWebSocket.Frame
        var arrival: MonotonicTime
    }

    let socket: RawWebSocket
    let path: String
    private let frames = NIOLockedValueBox<[Received]>([])
    private let closedByServer = NIOLockedValueBox<Bool>(false)
    private let failure = NIOLockedValueBox<String?>(nil)
    private let stopRequested = Atomic<Bool>(false)
    private let done = DispatchSemaphore(value: 0)

    /// Connects to `path` on the gateway at `port` and starts reading.
    init(port: Int, path: String) throws {
        self.socket = try RawWebSocket.open(port: port, path: path)
        self.path = path
        let thread = Thread { [self] in
            self.readLoop()
            self.done.signal()
        }
        thread.name = "ws-listener"
        thread.start()
    }

    private func readLoop() {
        while !self.stopRequested.load(ordering: .acquiring) {
            do {
                guard let frame = try self.socket.readFrame(timeout: .milliseconds(100)) else {
                    self.closedByServer.withLockedValue { $0 = true }
                    return
                }
                let arrival = MonotonicTime.now()
                self.frames.withLockedValue { $0.append(Received(frame: frame, arrival: arrival)) }
                if frame.opcode == 0x8 {
                    try? self.socket.sendFrame(opcode: 0x8, payload: Array(frame.payload.prefix(2)))
                    self.closedByServer.withLockedValue { $0 = true }
                    return
                }
            } catch let error as HarnessError where error.isReadTimeout {
                continue
            } catch {
                self.failure.withLockedValue { $0 = "\(error)" }
                return
            }
        }
    }

    /// Stops the reading thread (it notices within 100 ms) and waits for it.
    func stop() async {
        guard !self.stopRequested.exchange(true, ordering: .acquiringAndReleasing) else { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                self.done.wait()
                continuation.resume()
            }
        }
    }

    /// Stops reading and ends the connection (a FIN, no close frame), as a client that goes away does.
    func disconnect() async {
        await self.stop()
        self.socket.shutdownWrite()
    }

    /// Sends a masked text message (the reading thread goes on reading).
    func sendText(_ text: String) throws {
        try self.socket.sendFrame(opcode: 0x1, payload: Array(text.utf8))
    }

    /// Every frame so far.
    var received: [Received] { self.frames.withLockedValue { $0 } }

    /// Every text frame so far, parsed as a client event.
    var events: [ClientEvent] {
        self.received.compactMap {
            $0.frame.opcode == 0x1 ? ClientEvent(json: $0.frame.payload, arrival: $0.arrival) : nil
        }
    }

    /// The chunk events so far.
    var chunks: [ClientEvent] { self.events.filter { $0.event == "chunk" } }

    /// The close frame the server sent, if any.
    var closeFrame: RawWebSocket.Frame? { self.received.last { $0.frame.opcode == 0x8 }?.frame }

    /// Whether the server closed the connection (a close frame or TCP EOF).
    var isClosed: Bool { self.closedByServer.withLockedValue { $0 } }

    /// A read error other than a timeout, if one stopped the thread.
    var readFailure: String? { self.failure.withLockedValue { $0 } }

    /// Waits until `condition` holds for the events received so far.
    @discardableResult
    func wait(
        for what: String,
        timeout: Duration,
        until condition: ([ClientEvent]) -> Bool
    ) async throws -> [ClientEvent] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let events = self.events
            if condition(events) { return events }
            if let failure = self.readFailure { throw HarnessError("\(self.path): reading failed: \(failure)") }
            if ContinuousClock.now >= deadline {
                throw HarnessError(
                    "\(self.path): timed out after \(timeout) waiting for \(what) (\(events.count) events)"
                )
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Waits for an `end` event and returns every event up to it.
    func waitForEnd(timeout: Duration) async throws -> [ClientEvent] {
        try await self.wait(for: "the end", timeout: timeout) { $0.contains { $0.event == "end" } }
    }

    /// Waits until the server closes the connection; returns its close frame, if it sent one.
    func waitUntilClosed(timeout: Duration) async throws -> RawWebSocket.Frame? {
        let deadline = ContinuousClock.now + timeout
        while !self.isClosed {
            if ContinuousClock.now >= deadline {
                throw HarnessError("\(self.path): the server did not close the connection within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        return self.closeFrame
    }
}
