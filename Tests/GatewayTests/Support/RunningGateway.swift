import Foundation
import Logging
import ServiceLifecycle
import WavecastTestSupport

@testable import Gateway

/// An in-process ``GatewayService`` on 127.0.0.1 and a free port, run in a `ServiceGroup` as
/// `wavecast-gateway` runs it, and stopped with a graceful shutdown (what SIGTERM does).
final class RunningGateway: Sendable {
    let port: Int
    let service: GatewayService
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    static let logger = Logger(label: "wavecast.gateway-tests.gateway") { _ in SwiftLogNoOpLogHandler() }

    /// The test settings: small jitter and burst so tests run fast, a short lag limit and heartbeat timeout.
    static func configuration(
        bus: [String],
        _ customize: (inout GatewayConfiguration) -> Void = { _ in }
    ) -> GatewayConfiguration {
        var configuration = GatewayConfiguration(
            busEndpoints: bus,
            host: "127.0.0.1",
            port: 0,
            jitter: .milliseconds(20),
            burst: .milliseconds(300),
            maxClientLag: .milliseconds(500),
            streamTimeout: .seconds(5),
            heartbeatTimeout: .seconds(1),
            eventLoopThreads: 2
        )
        // Tests stop gateways often and want their clients closed at once; the drain has its own tests.
        configuration.drain = .zero
        customize(&configuration)
        return configuration
    }

    private init(port: Int, service: GatewayService, group: ServiceGroup, task: Task<Void, any Error>) {
        self.port = port
        self.service = service
        self.group = group
        self.task = task
    }

    /// Starts a gateway subscribed to `bus` and waits until it listens.
    static func start(
        bus: [String],
        _ customize: (inout GatewayConfiguration) -> Void = { _ in }
    ) async throws -> RunningGateway {
        let (bound, continuation) = AsyncStream.makeStream(of: Int.self)
        let service = GatewayService(
            configuration: Self.configuration(bus: bus, customize),
            logger: Self.logger,
            onBound: { continuation.yield($0) }
        )
        let group = ServiceGroup(configuration: .init(services: [service], logger: Self.logger))
        let task = Task {
            defer { continuation.finish() }
            try await group.run()
        }
        var iterator = bound.makeAsyncIterator()
        guard let port = await iterator.next() else {
            let result = await task.result
            throw HarnessError("the gateway returned without listening: \(result)")
        }
        return RunningGateway(port: port, service: service, group: group, task: task)
    }

    /// Shuts the gateway down gracefully and waits for it to return; returns how long that took.
    @discardableResult
    func stop() async throws -> Duration {
        let started = ContinuousClock.now
        await self.group.triggerGracefulShutdown()
        try await self.task.value
        return ContinuousClock.now - started
    }

    var metrics: GatewayMetrics { self.service.metrics }

    // MARK: HTTP

    /// `GET path` on the gateway.
    func get(_ path: String) async throws -> RawWebSocket.HTTPResponse {
        try await RawWebSocket.get(port: self.port, path: path)
    }

    /// Waits until `/readyz` answers 200 (a heartbeat reached the gateway).
    func waitUntilReady(timeout: Duration = .seconds(10)) async throws {
        let deadline = ContinuousClock.now + timeout
        while try await self.get("/readyz").status != 200 {
            if ContinuousClock.now >= deadline { throw HarnessError("the gateway was not ready within \(timeout)") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// The value of a Prometheus sample on `/metrics`, e.g. `wavecast_gateway_messages_sent_total`.
    func metric(_ name: String) async throws -> Double? {
        RawWebSocket.metric(name, in: try await self.get("/metrics").body)
    }

    // MARK: WebSocket

    /// Connects a listener to `/ws/{stream}` (with `query` appended).
    func listen(_ stream: String, query: String = "") async throws -> WebSocketListener {
        let port = self.port
        return try await blocking { try WebSocketListener(port: port, path: "/ws/\(stream)\(query)") }
    }

    /// Connects a raw WebSocket to `path`, handshake done.
    func open(_ path: String, receiveBufferSize: Int? = nil) async throws -> RawWebSocket {
        let port = self.port
        return try await blocking {
            try RawWebSocket.open(port: port, path: path, receiveBufferSize: receiveBufferSize)
        }
    }
}
