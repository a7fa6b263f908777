import Encoder
import Foundation
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle
import WavecastCore
import WavecastTestSupport
import ZeroMQ

/// A running encoder on 127.0.0.1 with free ports, plus the sockets a test talks to it with.
///
/// `with` starts the service (and, if asked, a ``HealthServer`` on the same metrics) in a task, waits for the
/// bound endpoints, connects a SUB socket and waits for its first heartbeat before the test publishes anything
/// (the slow-joiner problem), connects a DEALER and a REQ client, runs the test, then cancels the service and
/// closes every socket.
final class EncoderHarness: Sendable {
    /// The settings the encoder runs with.
    let configuration: EncoderConfiguration
    /// The encoder's metrics (shared with the health server).
    let metrics: EncoderMetrics
    /// The resolved ingest endpoint.
    let ingestEndpoint: String
    /// The resolved bus endpoint.
    let publishEndpoint: String
    /// The HTTP port of the health server, when one runs.
    let httpPort: Int?
    /// Everything published on the bus, stamped with its arrival time.
    let bus: BusTap
    /// A DEALER client (no delimiter frame).
    let dealer: IngestClient
    /// A REQ client (REQ adds the empty delimiter frame).
    let req: IngestClient
    private let context: ZMQContext
    private let serviceTask: Task<Void, any Error>
    private let requestStop: @Sendable () async -> Void
    private let serviceResult = NIOLockedValueBox<Duration?>(nil)
    /// The keys the harness's own clients present, when the encoder runs with CURVE.
    let clientKeys: CurveKeyPair?

    /// Heartbeats come often in tests, so the subscriber's wait for the first one is short.
    static let heartbeatInterval = Duration.milliseconds(100)

    /// A logger that drops everything: tests assert on the wire, not on logs.
    static let logger = Logger(label: "wavecast.encoder-tests") { _ in SwiftLogNoOpLogHandler() }

    /// The test configuration: wildcard ports on 127.0.0.1, no HTTP server, short heartbeats.
    static func configuration(_ customize: (inout EncoderConfiguration) -> Void = { _ in }) -> EncoderConfiguration {
        var configuration = EncoderConfiguration(
            ingestEndpoint: "tcp://127.0.0.1:*",
            publishEndpoint: "tcp://127.0.0.1:*",
            httpHost: nil,
            heartbeatInterval: Self.heartbeatInterval
        )
        customize(&configuration)
        return configuration
    }

    private init(
        configuration: EncoderConfiguration,
        metrics: EncoderMetrics,
        endpoints: (ingest: String, publish: String),
        httpPort: Int?,
        serviceTask: Task<Void, any Error>,
        requestStop: @escaping @Sendable () async -> Void,
        clientKeys: CurveKeyPair?
    ) throws {
        self.configuration = configuration
        self.clientKeys = clientKeys
        self.metrics = metrics
        self.ingestEndpoint = endpoints.ingest
        self.publishEndpoint = endpoints.publish
        self.httpPort = httpPort
        self.serviceTask = serviceTask
        self.requestStop = requestStop
        self.context = try ZMQContext()
        let curve = configuration.keyring.flatMap { keyring in
            clientKeys.map { CurveClientKeys(keys: $0, serverPublicKey: keyring.keys.publicKey) }
        }
        let busCurve = configuration.keyring?.gatewayDirectory == nil ? nil : curve
        self.bus = try BusTap(context: self.context, endpoint: endpoints.publish, curve: busCurve)
        self.dealer = try IngestClient(context: self.context, endpoint: endpoints.ingest, type: .dealer, curve: curve)
        self.req = try IngestClient(context: self.context, endpoint: endpoints.ingest, type: .request, curve: curve)
    }

    /// Runs `body` against a fresh encoder, and tears everything down after it, whatever happens.
    ///
    /// - Parameters:
    ///   - withHealthServer: Also run a ``HealthServer`` on port 0 with the encoder's metrics.
    ///   - clientKeys: The key pair the harness's own clients present (when `customize` turns CURVE on).
    ///   - inServiceGroup: Run the services in a `ServiceGroup` and stop them with a graceful shutdown, as
    ///     `wavecast-encoder` does, instead of in a task group stopped by cancelling its task.
    ///   - customize: Changes to the test configuration.
    ///   - body: The test.
    static func with<Result>(
        withHealthServer: Bool = false,
        inServiceGroup: Bool = false,
        clientKeys: CurveKeyPair? = nil,
        _ customize: (inout EncoderConfiguration) -> Void = { _ in },
        _ body: (EncoderHarness) async throws -> Result
    ) async throws -> Result {
        let harness = try await Self.start(
            configuration: Self.configuration(customize),
            withHealthServer: withHealthServer,
            inServiceGroup: inServiceGroup,
            clientKeys: clientKeys
        )
        return try await withTearDown {
            try await harness.bus.waitForHeartbeat()
            return try await body(harness)
        } tearDown: {
            await harness.shutDown()
        }
    }

    private static func start(
        configuration: EncoderConfiguration,
        withHealthServer: Bool,
        inServiceGroup: Bool,
        clientKeys: CurveKeyPair?
    ) async throws -> EncoderHarness {
        let metrics = EncoderMetrics()
        let (bound, boundContinuation) = AsyncStream.makeStream(of: (String, String).self)
        let (httpBound, httpContinuation) = AsyncStream.makeStream(of: Int.self)
        let service = EncoderService(configuration: configuration, metrics: metrics, logger: Self.logger) {
            boundContinuation.yield(($0, $1))
        }
        let health =
            withHealthServer
            ? HealthServer(host: "127.0.0.1", port: 0, metrics: metrics, logger: Self.logger) {
                httpContinuation.yield($0)
            } : nil
        let task: Task<Void, any Error>
        let requestStop: @Sendable () async -> Void
        if inServiceGroup {
            let services: [any Service] = [service] + (health.map { [$0] } ?? [])
            let group = ServiceGroup(configuration: .init(services: services, logger: Self.logger))
            task = Task {
                defer {
                    boundContinuation.finish()
                    httpContinuation.finish()
                }
                try await group.run()
            }
            requestStop = { await group.triggerGracefulShutdown() }
        } else {
            task = Task {
                defer {
                    boundContinuation.finish()
                    httpContinuation.finish()
                }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await service.run() }
                    if let health {
                        group.addTask { try await health.run() }
                    }
                    try await group.waitForAll()
                }
            }
            requestStop = { task.cancel() }
        }
        var boundIterator = bound.makeAsyncIterator()
        guard let endpoints = await boundIterator.next() else {
            try await task.value
            throw HarnessError("the encoder returned without binding its sockets")
        }
        var httpPort: Int?
        if withHealthServer {
            var httpIterator = httpBound.makeAsyncIterator()
            httpPort = await httpIterator.next()
            if httpPort == nil {
                task.cancel()
                throw HarnessError("the health server did not bind")
            }
        }
        do {
            return try EncoderHarness(
                configuration: configuration,
                metrics: metrics,
                endpoints: endpoints,
                httpPort: httpPort,
                serviceTask: task,
                requestStop: requestStop,
                clientKeys: clientKeys
            )
        } catch {
            task.cancel()
            _ = await task.result
            throw error
        }
    }

    /// Stops the services (cancels their task, or shuts their service group down gracefully) and waits for them to
    /// return; returns how long that took. Safe to call again.
    @discardableResult
    func stopService() async throws -> Duration {
        if let elapsed = self.serviceResult.withLockedValue({ $0 }) {
            return elapsed
        }
        let clock = ContinuousClock()
        let started = clock.now
        await self.requestStop()
        try await self.serviceTask.value
        let elapsed = clock.now - started
        self.serviceResult.withLockedValue { $0 = elapsed }
        return elapsed
    }

    private func shutDown() async {
        _ = try? await self.stopService()
        await self.bus.stop()
        await self.dealer.close()
        await self.req.close()
    }

    /// Another DEALER on the encoder's ingest socket, for tests that feed from several peers; the caller closes it.
    ///
    /// - Parameter keys: The CURVE key pair it presents, when the encoder runs with CURVE.
    func makeDealer(keys: CurveKeyPair? = nil) throws -> IngestClient {
        let curve = keys.flatMap { keys in
            self.configuration.keyring.map { CurveClientKeys(keys: keys, serverPublicKey: $0.keys.publicKey) }
        }
        return try IngestClient(context: self.context, endpoint: self.ingestEndpoint, type: .dealer, curve: curve)
    }

    // MARK: Requests

    /// Plays `wav` on `stream` through the DEALER and returns the reply.
    func play(_ stream: String, _ wav: [UInt8], loop: Bool? = nil) async throws -> IngestResponse {
        var header: JSONObject = ["op": "play", "stream": .string(stream)]
        if let loop {
            header["loop"] = .bool(loop)
        }
        return try await self.dealer.request(header, payload: wav)
    }

    /// Sends a `status` request through the DEALER.
    func status(_ stream: String? = nil) async throws -> IngestResponse {
        var header: JSONObject = ["op": "status"]
        if let stream {
            header["stream"] = .string(stream)
        }
        return try await self.dealer.request(header)
    }

    /// Sends `op` for `stream` with extra header fields through the DEALER.
    func request(
        _ op: String,
        _ stream: String,
        _ fields: JSONObject = [:],
        payload: [UInt8]? = nil
    ) async throws -> IngestResponse {
        var header: JSONObject = ["op": .string(op), "stream": .string(stream)]
        for member in fields.members {
            header[member.key] = member.value
        }
        return try await self.dealer.request(header, payload: payload)
    }
}
