import Foundation
import NIOConcurrencyHelpers
import Testing
import WavecastTestSupport
import ZeroMQ

/// `ZMQContext.shutdown()` stopping a thread that is blocked in a receive.
@Suite(.onOwnThreads)
struct ZMQContextTests {
    /// What the receiving thread saw, handed back to the test thread.
    final class Outcome: Sendable {
        let started = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)
        let result = NIOLockedValueBox<Result<[[UInt8]]?, ZMQError>?>(nil)
    }

    @Test func shutdownFailsABlockedReceiveWithContextTerminated() throws {
        let context = try ZMQContext()
        let outcome = Outcome()
        let thread = Thread {
            // The socket belongs to this thread: made, used and closed here.
            let socket: ZMQSocket
            do throws(ZMQError) {
                socket = try ZMQSocket(context: context, type: .pull)
                _ = try ZMQTestSupport.bindLoopback(socket)
            } catch {
                outcome.result.withLockedValue { $0 = .failure(error) }
                outcome.started.signal()
                outcome.finished.signal()
                return
            }
            outcome.started.signal()
            let result = Result { () throws(ZMQError) in try socket.receive() }
            socket.close()
            outcome.result.withLockedValue { $0 = result }
            outcome.finished.signal()
        }
        thread.start()

        try #require(outcome.started.wait(timeout: .now() + 5) == .success, "the receiving thread never started")
        // Give it time to block in zmq_msg_recv; a shutdown that comes first fails the receive the same way.
        Thread.sleep(forTimeInterval: 0.1)
        #expect(outcome.result.withLockedValue { $0 } == nil, "the receive returned before the shutdown")

        context.shutdown()
        try #require(
            outcome.finished.wait(timeout: .now() + 5) == .success,
            "the blocked receive did not return within 5 s of shutdown()"
        )
        let result = try #require(outcome.result.withLockedValue { $0 })
        switch result {
        case .success(let message):
            Issue.record("receive returned \(String(describing: message)) instead of failing")
        case .failure(let error):
            #expect(error.isContextTerminated, "\(error)")
            #expect(error.operation == "receive")
        }
    }

    @Test func socketsOnAShutDownContextFailWithContextTerminated() throws {
        let context = try ZMQContext()
        let socket = try ZMQSocket(context: context, type: .dealer)
        context.shutdown()
        let error = try #require(throws: ZMQError.self) { try socket.receive(dontWait: true) }
        #expect(error.isContextTerminated, "\(error)")
        socket.close()
    }
}
