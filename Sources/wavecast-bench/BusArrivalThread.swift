import Foundation
import NIOConcurrencyHelpers
import Synchronization
import WavecastCore
import ZeroMQ

/// A SUB socket subscribed to the whole bus, on a thread of its own that stamps each message's arrival on the
/// monotonic clock as it takes it: two of them, one on the encoder and one on the proxy, see the same messages
/// without either waiting behind the other.
final class BusArrivalThread: Sendable {
    /// What the thread recorded.
    struct Arrivals: Sendable {
        /// Each live chunk (not a replay) by `topic/sequence`, with its arrival.
        var chunks: [(key: String, arrival: Int64)] = []
        /// Every message's arrival (chunks, heartbeats, catalogues).
        var all: [Int64] = []
    }

    private enum State: Sendable {
        case connecting
        case ready
        case failed(String)
    }

    private let endpoint: String
    private let state = NIOLockedValueBox<State>(.connecting)
    private let result = NIOLockedValueBox<Arrivals?>(nil)
    private let stopRequested = Atomic<Bool>(false)

    /// Connects to `endpoint` (as a CURVE client with `curve`) on a new thread, which records until ``finish()``.
    init(context: ZMQContext, endpoint: String, curve: CurveClientKeys?) {
        self.endpoint = endpoint
        let thread = Thread { [self] in self.serve(context: context, curve: curve) }
        thread.name = "bench-bus-arrivals"
        thread.start()
    }

    /// Waits until the first heartbeat came (the subscription is in place).
    ///
    /// - Throws: ``BenchError`` if the socket failed or no heartbeat came within `seconds`.
    func waitUntilReady(seconds: Double) throws(BenchError) {
        let deadline = SystemIO.monotonicNanoseconds() + Int64(seconds * 1e9)
        // Bounded: 10 ms steps until the deadline.
        while SystemIO.monotonicNanoseconds() < deadline {
            switch self.state.withLockedValue({ $0 }) {
            case .ready: return
            case .failed(let reason): throw BenchError("\(self.endpoint): \(reason)")
            case .connecting: SystemIO.sleep(seconds: 0.01)
            }
        }
        throw BenchError("no heartbeat from \(self.endpoint) within \(Int(seconds)) s; is anything publishing there?")
    }

    /// Stops the thread and returns what it recorded (waits at most 5 s for it to notice).
    func finish() throws(BenchError) -> Arrivals {
        self.stopRequested.store(true, ordering: .releasing)
        let deadline = SystemIO.monotonicNanoseconds() + 5_000_000_000
        while SystemIO.monotonicNanoseconds() < deadline {
            if let arrivals = self.result.withLockedValue({ $0 }) { return arrivals }
            SystemIO.sleep(seconds: 0.01)
        }
        throw BenchError("the subscriber of \(self.endpoint) did not stop within 5 s")
    }

    private func serve(context: ZMQContext, curve: CurveClientKeys?) {
        var arrivals = Arrivals()
        defer { self.result.withLockedValue { $0 = arrivals } }
        let socket: ZMQSocket
        do {
            socket = try ZMQSocket(context: context, type: .subscriber)
            if let curve { try socket.makeCurveClient(curve) }
            // 0: no limit, so the bench itself never drops.
            try socket.setReceiveHighWaterMark(0)
            try socket.subscribe()
            try socket.connect(self.endpoint)
        } catch {
            self.state.withLockedValue { $0 = .failed("\(error)") }
            return
        }
        defer { socket.close() }
        arrivals.chunks.reserveCapacity(1 << 20)
        arrivals.all.reserveCapacity(1 << 20)
        var ready = false
        while !self.stopRequested.load(ordering: .acquiring) {
            guard (try? socket.waitReadable(timeoutMilliseconds: 50)) == true else { continue }
            // Bounded per turn so the stop flag is looked at under any load.
            for _ in 0..<4096 {
                guard let frames = try? socket.receive(dontWait: true) else { break }
                let arrival = SystemIO.monotonicNanoseconds()
                arrivals.all.append(arrival)
                guard frames.count == 3, let header = try? BusHeader(decoding: frames[1]) else { continue }
                if header.kind == .heartbeat && !ready {
                    ready = true
                    self.state.withLockedValue { $0 = .ready }
                }
                if header.kind == .chunk && !header.isReplay {
                    arrivals.chunks.append(
                        (String(decoding: frames[0], as: UTF8.self) + "/\(header.sequence)", arrival)
                    )
                }
            }
        }
    }
}
