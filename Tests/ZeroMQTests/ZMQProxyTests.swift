import Foundation
import NIOConcurrencyHelpers
import Testing
import WavecastTestSupport
import ZeroMQ

/// libzmq's proxy between an XSUB and an XPUB on real sockets, wired as the bus proxy is: a publisher connects
/// its XPUB to the frontend, subscribers connect XSUBs to the backend.
@Suite(.onOwnThreads)
struct ZMQProxyTests {
    /// A proxy on a thread of its own, which makes, binds and closes its three sockets.
    final class ProxyThread: Sendable {
        let frontend: String
        let backend: String
        let controlEndpoint: String
        private let finished: NIOLockedValueBox<Result<Void, ZMQError>?>

        /// Starts the proxy; `verbose` sets the backend's `ZMQ_XPUB_VERBOSER` (both options off otherwise).
        init(context: ZMQContext, verbose: Bool) throws {
            let controlEndpoint = "inproc://proxy-test-\(UInt64.random(in: 0...UInt64.max))"
            let bound = NIOLockedValueBox<Result<(String, String), ZMQError>?>(nil)
            let finished = NIOLockedValueBox<Result<Void, ZMQError>?>(nil)
            self.finished = finished
            let thread = Thread {
                do throws(ZMQError) {
                    let control = try ZMQSocket(context: context, type: .pair)
                    try control.bind(controlEndpoint)
                    let frontend = try ZMQSocket(context: context, type: .extendedSubscriber)
                    let frontendEndpoint = try ZMQTestSupport.bindLoopback(frontend)
                    let backend = try ZMQSocket(context: context, type: .extendedPublisher)
                    if verbose { try backend.setPassesEveryUnsubscription(true) }
                    let backendEndpoint = try ZMQTestSupport.bindLoopback(backend)
                    bound.withLockedValue { $0 = .success((frontendEndpoint, backendEndpoint)) }
                    try ZMQProxy.run(frontend: frontend, backend: backend, control: control)
                    finished.withLockedValue { $0 = .success(()) }
                } catch {
                    bound.withLockedValue { $0 = $0 ?? .failure(error) }
                    finished.withLockedValue { $0 = .failure(error) }
                }
            }
            thread.start()
            let deadline = ContinuousClock.now + .seconds(5)
            while bound.withLockedValue({ $0 }) == nil && ContinuousClock.now < deadline { usleep(1000) }
            let endpoints = try #require(bound.withLockedValue { $0 }, "the proxy did not bind within 5 s").get()
            self.frontend = endpoints.0
            self.backend = endpoints.1
            self.controlEndpoint = controlEndpoint
        }

        /// Waits (at most 5 s) for ``ZMQProxy/run(frontend:backend:control:)`` to return; `nil` if it did not.
        func waitForFinish() -> Result<Void, ZMQError>? {
            let deadline = ContinuousClock.now + .seconds(5)
            while self.finished.withLockedValue({ $0 }) == nil && ContinuousClock.now < deadline { usleep(1000) }
            return self.finished.withLockedValue { $0 }
        }
    }

    static func subscribe(_ socket: ZMQSocket, _ topic: String) throws {
        try socket.send([[1] + ZMQTestSupport.bytes(topic)])
    }

    @Test func subscriptionsMessagesAndMarkReportsPassBothWaysAndUnsubscriptionsAreCounted() throws {
        let context = try ZMQContext()
        let proxy = try ProxyThread(context: context, verbose: true)
        let controller = try ZMQProxyController(context: context, endpoint: proxy.controlEndpoint)
        defer { controller.close() }
        let upstream = try ZMQTestSupport.makeSocket(context, .extendedPublisher)
        try upstream.setPassesEverySubscription(true)
        try upstream.connect(proxy.frontend)
        let first = try ZMQTestSupport.makeSocket(context, .extendedSubscriber)
        try first.connect(proxy.backend)
        try Self.subscribe(first, "demo")
        #expect(try upstream.receive() == [[1] + ZMQTestSupport.bytes("demo")])

        // A second subscriber of the same topic: the publisher hears it too, so it can answer it (a replay).
        let second = try ZMQTestSupport.makeSocket(context, .extendedSubscriber)
        try second.connect(proxy.backend)
        try Self.subscribe(second, "demo")
        #expect(try upstream.receive() == [[1] + ZMQTestSupport.bytes("demo")], "the second subscription was lost")

        let message = [ZMQTestSupport.bytes("demo"), [2, 0, 7], ZMQTestSupport.bytes("payload")]
        try upstream.send(message)
        #expect(try first.receive() == message)
        #expect(try second.receive() == message)

        // A message that is no subscription goes upstream as it is (a gateway's mark report).
        let report = [2] + ZMQTestSupport.bytes(#"{"gateway":"a"}"#)
        try first.send([report])
        #expect(try upstream.receive() == [report])

        // The first unsubscription says nothing upstream (the second subscriber still wants the topic): the
        // message after it comes first. The last one passes.
        try first.send([[0] + ZMQTestSupport.bytes("demo")])
        try first.send([[2] + ZMQTestSupport.bytes("after")])
        #expect(try upstream.receive() == [[2] + ZMQTestSupport.bytes("after")])
        try second.send([[0] + ZMQTestSupport.bytes("demo")])
        #expect(try upstream.receive() == [[0] + ZMQTestSupport.bytes("demo")])

        let statistics = try #require(try controller.statistics(timeoutMilliseconds: 2000))
        #expect(statistics.frontendReceived.messages == 1)
        #expect(statistics.backendSent.messages == 1)
        #expect(statistics.backendSent.bytes == UInt64(message.map(\.count).reduce(0, +)))
        // Two subscriptions, two reports, two unsubscriptions: every one taken from the backend and passed on.
        #expect(statistics.backendReceived.messages == 6)
        #expect(statistics.frontendSent == statistics.backendReceived)

        try controller.send(.terminate)
        let finished = try #require(proxy.waitForFinish(), "the proxy did not stop within 5 s")
        try finished.get()
    }

    /// A subscriber that goes away without unsubscribing is unsubscribed for it, once per topic, so the count
    /// stays right: the topic is withdrawn upstream when the last subscriber of it is gone.
    @Test func aSubscriberThatDisappearsIsUnsubscribedForIt() throws {
        let context = try ZMQContext()
        let proxy = try ProxyThread(context: context, verbose: true)
        let controller = try ZMQProxyController(context: context, endpoint: proxy.controlEndpoint)
        defer { controller.close() }
        let upstream = try ZMQTestSupport.makeSocket(context, .extendedPublisher)
        try upstream.setPassesEverySubscription(true)
        try upstream.connect(proxy.frontend)
        let leaving = try ZMQTestSupport.makeSocket(context, .extendedSubscriber)
        try leaving.connect(proxy.backend)
        try Self.subscribe(leaving, "demo")
        #expect(try upstream.receive() == [[1] + ZMQTestSupport.bytes("demo")])
        let staying = try ZMQTestSupport.makeSocket(context, .extendedSubscriber)
        try staying.connect(proxy.backend)
        try Self.subscribe(staying, "demo")
        #expect(try upstream.receive() == [[1] + ZMQTestSupport.bytes("demo")])

        leaving.close()
        // Nothing upstream for it (another subscriber still wants the topic): the next message is this marker.
        usleep(100_000)
        try staying.send([[2] + ZMQTestSupport.bytes("marker")])
        #expect(try upstream.receive() == [[2] + ZMQTestSupport.bytes("marker")])
        staying.close()
        #expect(try upstream.receive() == [[0] + ZMQTestSupport.bytes("demo")])
        try controller.send(.terminate)
        #expect(proxy.waitForFinish() != nil)
    }

    /// Without `ZMQ_XPUB_VERBOSER` the backend passes only a topic's first subscription: the publisher never
    /// hears the second subscriber, which is why the bus proxy sets it.
    @Test func aPlainBackendSwallowsTheSecondSubscriptionOfATopic() throws {
        let context = try ZMQContext()
        let proxy = try ProxyThread(context: context, verbose: false)
        let controller = try ZMQProxyController(context: context, endpoint: proxy.controlEndpoint)
        defer { controller.close() }
        let upstream = try ZMQTestSupport.makeSocket(context, .extendedPublisher)
        try upstream.setPassesEverySubscription(true)
        try upstream.connect(proxy.frontend)
        let first = try ZMQTestSupport.makeSocket(context, .extendedSubscriber)
        try first.connect(proxy.backend)
        try Self.subscribe(first, "demo")
        #expect(try upstream.receive() == [[1] + ZMQTestSupport.bytes("demo")])
        let second = try ZMQTestSupport.makeSocket(context, .extendedSubscriber)
        try second.connect(proxy.backend)
        try Self.subscribe(second, "demo")
        try second.send([[2] + ZMQTestSupport.bytes("marker")])
        #expect(try upstream.receive() == [[2] + ZMQTestSupport.bytes("marker")])
        try controller.send(.terminate)
        #expect(proxy.waitForFinish() != nil)
    }
}
