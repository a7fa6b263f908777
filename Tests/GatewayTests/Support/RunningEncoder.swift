import Encoder
import Logging

/// An in-process ``EncoderService`` on 127.0.0.1, stopped by cancelling its task (as a crash would stop it).
final class RunningEncoder: Sendable {
    let ingestEndpoint: String
    let publishEndpoint: String
    private let task: Task<Void, any Error>

    /// Heartbeats come often in tests, so gateways become ready quickly.
    static let heartbeatInterval = Duration.milliseconds(100)

    static let logger = Logger(label: "wavecast.gateway-tests.encoder") { _ in SwiftLogNoOpLogHandler() }

    private init(ingestEndpoint: String, publishEndpoint: String, task: Task<Void, any Error>) {
        self.ingestEndpoint = ingestEndpoint
        self.publishEndpoint = publishEndpoint
        self.task = task
    }

    /// Starts an encoder publishing on `publishEndpoint` (a wildcard port by default) and waits until it is bound.
    static func start(
        publishEndpoint: String = "tcp://127.0.0.1:*",
        _ customize: (inout EncoderConfiguration) -> Void = { _ in }
    ) async throws -> RunningEncoder {
        var configuration = EncoderConfiguration(
            ingestEndpoint: "tcp://127.0.0.1:*",
            publishEndpoint: publishEndpoint,
            httpHost: nil,
            heartbeatInterval: Self.heartbeatInterval,
            encodingThreads: 1
        )
        customize(&configuration)
        let (bound, continuation) = AsyncStream.makeStream(of: (String, String).self)
        let service = EncoderService(configuration: configuration, logger: Self.logger) { continuation.yield(($0, $1)) }
        let task = Task {
            defer { continuation.finish() }
            try await service.run()
        }
        var iterator = bound.makeAsyncIterator()
        guard let (ingest, publish) = await iterator.next() else {
            let result = await task.result
            throw FixtureError("the encoder returned without binding its sockets: \(result)")
        }
        return RunningEncoder(ingestEndpoint: ingest, publishEndpoint: publish, task: task)
    }

    /// Cancels the service and waits for it to return (it publishes no more heartbeats after that).
    func stop() async {
        self.task.cancel()
        _ = await self.task.result
    }
}
