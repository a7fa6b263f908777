import Foundation
public import Logging
public import ServiceLifecycle
import ZeroMQ

/// The encoder as a ``Service``: ingest over ZeroMQ, LAME, and real-time publication on the bus.
///
/// `run()` binds both sockets, serves until the task is cancelled or the service group shuts down
/// gracefully, then ends every stream with an `end` message and returns.
public final class EncoderService: Service, Sendable {
    /// The settings the service runs with.
    public let configuration: EncoderConfiguration
    /// The service's metrics, for `/metrics`.
    public let metrics: EncoderMetrics
    private let logger: Logger
    private let onBound: (@Sendable (_ ingest: String, _ publish: String) -> Void)?

    /// Creates the service.
    ///
    /// - Parameters:
    ///   - configuration: Endpoints, output format and limits.
    ///   - metrics: Where to count what happens.
    ///   - logger: The service's logger.
    ///   - onBound: Called once the sockets are bound, with the resolved endpoints (a wildcard
    ///     port such as `tcp://127.0.0.1:*` becomes the port picked; `off` for a bus socket that binds
    ///     none and only connects to a proxy). Tests use it to connect.
    public init(
        configuration: EncoderConfiguration,
        metrics: EncoderMetrics = EncoderMetrics(),
        logger: Logger,
        onBound: (@Sendable (_ ingest: String, _ publish: String) -> Void)? = nil
    ) {
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
        self.onBound = onBound
    }

    public func run() async throws {
        let context = try ZMQContext()
        // Bound before the sockets, so no handshake gets past an absent handler.
        let authenticator = try self.configuration.keyring.map { keyring in
            let metrics = self.metrics
            return try ZAPHandler.start(in: context) { keyring.decide($0, failures: metrics) }
        }
        defer { authenticator?.stop() }
        let pool = EncodingPool(configuration: self.configuration, metrics: self.metrics)
        let reactor = EncoderReactor(
            configuration: self.configuration,
            logger: self.logger,
            metrics: self.metrics,
            pool: pool
        )
        let logger = self.logger
        let onBound = self.onBound

        try await withTaskCancellationOrGracefulShutdownHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                pool.start(deliver: { reactor.deliver($0) })
                Thread.start(named: "wc-reactor") {
                    var bindError: ZMQError?
                    reactor.run(context: context) { result in
                        switch result {
                        case .success(let (ingest, publish)):
                            logger.info(
                                "Encoder listening",
                                metadata: ["ingest": "\(ingest)", "publish": "\(publish)"]
                            )
                            onBound?(ingest, publish)
                        case .failure(let error):
                            bindError = error
                        }
                    }
                    pool.finish()
                    if let bindError {
                        continuation.resume(throwing: bindError)
                    } else {
                        continuation.resume()
                    }
                }
            }
        } onCancelOrGracefulShutdown: {
            reactor.requestStop()
        }
        logger.info("Encoder stopped")
    }
}
