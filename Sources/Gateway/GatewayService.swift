import Foundation
public import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
public import ServiceLifecycle
import Synchronization
import WavecastCore
import ZeroMQ

/// The gateway as a ``Service``: subscribes to the bus and serves WebSocket listeners.
///
/// On graceful shutdown (SIGTERM) it drains like NATS' lame-duck mode: it turns not-ready at once
/// (`/readyz` 503) and refuses new upgrades (503), closes its clients with 1001 (going away) spread
/// evenly over ``GatewayConfiguration/drain`` so they reconnect elsewhere a few at a time, then stops
/// listening and returns. With no drain window (or on cancellation) every client is closed at once.
public final class GatewayService: Service, Sendable {
    /// The settings the service runs with.
    public let configuration: GatewayConfiguration
    /// The service's metrics, for `/metrics`.
    public let metrics: GatewayMetrics
    private let logger: Logger
    private let onBound: (@Sendable (Int) -> Void)?

    /// Creates the service.
    ///
    /// - Parameters:
    ///   - configuration: Bus endpoints, listening address, pacing and limits.
    ///   - metrics: Where to count what happens.
    ///   - logger: The service's logger.
    ///   - onBound: Called with the port once listening (tests bind port 0).
    public init(
        configuration: GatewayConfiguration,
        metrics: GatewayMetrics = GatewayMetrics(),
        logger: Logger,
        onBound: (@Sendable (Int) -> Void)? = nil
    ) {
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
        self.onBound = onBound
    }

    public func run() async throws {
        let configuration = self.configuration
        let metrics = self.metrics
        let logger = self.logger
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, configuration.eventLoopThreads))
        let interest = InterestInbox()
        let fanout = try await FanoutGroup.make(
            group: group,
            interest: interest,
            configuration: configuration,
            metrics: metrics
        )
        let directory = StreamDirectory()
        let connectLimit =
            configuration.maxConnectsPerSecond > 0
            ? ConnectAttemptLimit(perSecond: configuration.maxConnectsPerSecond) : nil

        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 4)
            // Small queues per client, so a client that stops reading shows up as unwritable within
            // seconds (see ListenerHandler). The kernel would otherwise hold a megabyte of unsent data
            // (minutes of audio) per socket: TCP_NOTSENT_LOWAT makes it refuse writes past 4 KiB unsent.
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 2 * 1024, high: 4 * 1024))
            .childChannelOption(
                ChannelOptions.Types.SocketOption(level: IPPROTO_TCP, name: Self.tcpNotSentLowWater),
                value: 4 * 1024
            )
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try ConnectionPipeline(
                        configuration: configuration,
                        metrics: metrics,
                        directory: directory,
                        fanout: fanout,
                        hub: { fanout.hub(on: $0.eventLoop) },
                        connectLimit: connectLimit
                    ).configure(channel)
                }
            }
            .bind(host: configuration.host, port: configuration.port)
            .get()
        let port = server.localAddress?.port ?? configuration.port
        logger.info("Gateway listening", metadata: ["listen": "\(configuration.host):\(port)"])
        self.onBound?(port)

        let context = try ZMQContext()
        let subscriber = BusSubscriber(
            endpoints: configuration.busEndpoints,
            resolveInterval: configuration.busResolveInterval,
            curve: configuration.busCurve,
            // Gateways on one host are told apart by their port.
            name: configuration.instanceName + (configuration.port != 0 ? ":\(configuration.port)" : ""),
            interest: interest,
            logger: logger,
            metrics: metrics
        )
        let subscriberDone = Thread.runningDetached(name: "wc-bus") {
            var router = StreamRouter(
                configuration: configuration,
                fanout: fanout,
                directory: directory,
                metrics: metrics,
                logger: logger
            )
            do {
                try subscriber.run(context: context, router: &router)
            } catch {
                logger.error("The bus subscriber stopped", metadata: ["error": "\(error)"])
            }
        }

        // Runs until the shutdown signal (or the server channel closing on its own). The server keeps
        // accepting during the drain, so the load balancer's health checks and late clients get a
        // clear 503 rather than a refused connection.
        let (stopping, stop) = AsyncStream<Void>.makeStream()
        server.closeFuture.whenComplete { _ in stop.finish() }
        await withTaskCancellationOrGracefulShutdownHandler {
            for await _ in stopping {}
        } onCancelOrGracefulShutdown: {
            // Not ready from this instant, before anything else happens.
            metrics.draining.store(true, ordering: .relaxed)
            stop.finish()
        }
        metrics.draining.store(true, ordering: .relaxed)
        if !Task.isCancelled && configuration.drain > .zero {
            let schedule = await fanout.drain(over: configuration.drain, code: 1001, reason: Self.drainReason)
            logger.info(
                "Gateway draining: not ready, refusing new clients, closing clients with 1001 over the drain window",
                metadata: [
                    "drain.clients": "\(schedule.clientCount)",
                    "drain.window_ms": "\(configuration.drain.wholeNanoseconds / 1_000_000)",
                ]
            )
            // Until the last close is due, and a moment for it to go out; a cancellation cuts it short.
            try? await Task.sleep(for: schedule.lastOffset + .milliseconds(100))
        }
        server.close(promise: nil)
        logger.info("Gateway stopping: closing clients with 1001")
        await fanout.closeAll(code: 1001, reason: "gateway shutting down; reconnect")
        subscriber.requestStop()
        await subscriberDone.wait()
        // Give close frames a moment to leave before the loops go.
        try? await Task.sleep(for: .milliseconds(200))
        try? await group.shutdownGracefully()
        logger.info("Gateway stopped")
    }

    /// The close reason of a drain: the reconnect hint (with `?resume=`, a client continues where it was).
    static let drainReason = "gateway draining; reconnect now (another gateway takes you; ?resume= continues)"

    /// `TCP_NOTSENT_LOWAT` from linux/tcp.h, which Glibc's module does not export.
    private static let tcpNotSentLowWater: Int32 = 25
}

extension Thread {
    /// Runs `body` on a new thread; the returned handle waits for it to return.
    static func runningDetached(name: String, _ body: @escaping @Sendable () -> Void) -> ThreadCompletion {
        let completion = ThreadCompletion()
        Thread.start(named: name) {
            body()
            completion.finish()
        }
        return completion
    }
}

/// Signals that a thread finished; `wait()` suspends until it has.
final class ThreadCompletion: Sendable {
    private let state = NIOLockedValueBox<(done: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func finish() {
        let waiters = self.state.withLockedValue { state in
            state.done = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let resumeNow = self.state.withLockedValue { state in
                if state.done { return true }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }
}
