public import NIOCore
import NIOHTTP1
import NIOPosix
public import NIOWebSocket

/// Opens WebSocket client connections with SwiftNIO: HTTP/1.1 upgrade, masked frames, pings
/// answered, a close frame sent on ``close(_:code:)``.
///
/// Two ways to use it: ``connect(to:on:configuration:receiver:)`` hands every message to a
/// receiver on the connection's event loop (what a load test holding thousands of connections
/// wants: no hops, no allocation per message), and ``events(from:on:configuration:)`` delivers
/// one connection's messages as an `AsyncSequence`.
public enum WebSocketClient {
    /// Connects and upgrades; every message then goes to the receiver that `makeReceiver` returns.
    ///
    /// - Parameters:
    ///   - url: the server's `ws://` address.
    ///   - eventLoop: the loop the connection lives on.
    ///   - configuration: limits and timeouts.
    ///   - makeReceiver: called once on `eventLoop` when the upgrade succeeds.
    /// - Returns: the upgraded channel, or a failure (connect error, ``WavecastClientError/notUpgraded(status:)``,
    ///   ``WavecastClientError/handshakeTimeout``).
    public static func connect<Receiver: WebSocketMessageReceiver>(
        to url: WebSocketURL,
        on eventLoop: any EventLoop,
        configuration: WebSocketClientConfiguration = .init(),
        receiver makeReceiver: @escaping @Sendable () -> Receiver
    ) -> EventLoopFuture<any Channel> {
        let promise = eventLoop.makePromise(of: (any Channel).self)
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(configuration.connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try Self.configure(
                        channel,
                        url: url,
                        configuration: configuration,
                        makeReceiver: makeReceiver,
                        promise: promise
                    )
                }
            }
        bootstrap.connect(host: url.host, port: url.port).whenFailure { promise.fail($0) }
        return promise.futureResult
    }

    /// Closes a connection made by this client: a close frame with `code`, then the socket when the
    /// server answers or after the configured close timeout.
    ///
    /// - Returns: the channel's close future.
    @discardableResult
    public static func close(
        _ channel: any Channel,
        code: WebSocketErrorCode = .normalClosure
    ) -> EventLoopFuture<Void> {
        channel.triggerUserOutboundEvent(WebSocketCloseRequest(code: code), promise: nil)
        return channel.closeFuture
    }

    /// Connects on a loop of `group` and delivers the connection's text messages, then its closure,
    /// as an `AsyncSequence`.
    ///
    /// The sequence ends after ``WebSocketClientEvent/closed(_:)``, and throws if the connection
    /// cannot be made. Ending the iteration early closes the connection.
    public static func events(
        from url: WebSocketURL,
        on group: any EventLoopGroup,
        configuration: WebSocketClientConfiguration = .init()
    ) -> AsyncThrowingStream<WebSocketClientEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(
            of: WebSocketClientEvent.self,
            throwing: (any Error).self
        )
        let connected = Self.connect(to: url, on: group.next(), configuration: configuration) {
            StreamingReceiver(continuation: continuation)
        }
        connected.whenFailure { continuation.finish(throwing: $0) }
        continuation.onTermination = { _ in
            connected.whenSuccess { Self.close($0) }
        }
        return stream
    }

    // MARK: Pipeline

    private enum UpgradeOutcome: Sendable {
        case upgraded
        case refused
    }

    private static func configure<Receiver: WebSocketMessageReceiver>(
        _ channel: any Channel,
        url: WebSocketURL,
        configuration: WebSocketClientConfiguration,
        makeReceiver: @escaping @Sendable () -> Receiver,
        promise: EventLoopPromise<any Channel>
    ) throws {
        let status = NIOLoopBoundBox<Int?>(nil, eventLoop: channel.eventLoop)
        let closeTimeout = configuration.closeTimeout
        let upgrader = NIOTypedWebSocketClientUpgrader<UpgradeOutcome>(
            maxFrameSize: configuration.maxFrameSize,
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeCompletedFuture {
                    let handler = WebSocketClientHandler(receiver: makeReceiver(), closeTimeout: closeTimeout)
                    try channel.pipeline.syncOperations.addHandler(handler)
                    return .upgraded
                }
            }
        )
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: url.hostHeader)
        for header in configuration.headers { headers.add(name: header.name, value: header.value) }
        let upgradeConfiguration = NIOTypedHTTPClientUpgradeConfiguration<UpgradeOutcome>(
            upgradeRequestHead: HTTPRequestHead(version: .http1_1, method: .GET, uri: url.target, headers: headers),
            upgraders: [upgrader],
            notUpgradingCompletionHandler: { channel in channel.eventLoop.makeSucceededFuture(.refused) }
        )
        var pipelineConfiguration = NIOUpgradableHTTPClientPipelineConfiguration(
            upgradeConfiguration: upgradeConfiguration
        )
        // Frames the server sends right behind its 101 response (a join burst) arrive in the same
        // read as the response: hand them on to the WebSocket decoder, do not drop them.
        pipelineConfiguration.leftOverBytesStrategy = .forwardBytes
        let outcome = try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(
            configuration: pipelineConfiguration
        )
        // Notes the response's status on its way to the upgrade handler, for a refused upgrade's error.
        let upgradeHandler = try channel.pipeline.syncOperations.handler(
            type: NIOTypedHTTPClientUpgradeHandler<UpgradeOutcome>.self
        )
        try channel.pipeline.syncOperations.addHandler(
            ResponseStatusRecorder(status: status),
            position: .before(upgradeHandler)
        )
        let timeout = channel.eventLoop.scheduleTask(in: configuration.handshakeTimeout) {
            promise.fail(WavecastClientError.handshakeTimeout)
            channel.close(promise: nil)
        }
        outcome.whenComplete { result in
            timeout.cancel()
            switch result {
            case .success(.upgraded):
                promise.succeed(channel)
            case .success(.refused):
                promise.fail(WavecastClientError.notUpgraded(status: status.value))
                channel.close(promise: nil)
            case .failure(let error):
                promise.fail(error)
                channel.close(promise: nil)
            }
        }
    }
}

/// Records the HTTP status of the upgrade response, then steps out of the pipeline.
private final class ResponseStatusRecorder: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias InboundOut = HTTPClientResponsePart

    private let status: NIOLoopBoundBox<Int?>

    init(status: NIOLoopBoundBox<Int?>) {
        self.status = status
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = Self.unwrapInboundIn(data) {
            self.status.value = Int(head.status.code)
            context.fireChannelRead(data)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            return
        }
        context.fireChannelRead(data)
    }
}

@available(*, unavailable)
extension ResponseStatusRecorder: Sendable {}

/// Feeds one connection's messages into an `AsyncThrowingStream`.
private final class StreamingReceiver: WebSocketMessageReceiver {
    private let continuation: AsyncThrowingStream<WebSocketClientEvent, any Error>.Continuation

    init(continuation: AsyncThrowingStream<WebSocketClientEvent, any Error>.Continuation) {
        self.continuation = continuation
    }

    func webSocketConnected(at nanoseconds: UInt64) {
        self.continuation.yield(.connected(atNanoseconds: nanoseconds))
    }

    func webSocketReceived(text: ByteBuffer, at nanoseconds: UInt64) {
        self.continuation.yield(.text(text, atNanoseconds: nanoseconds))
    }

    func webSocketClosed(_ closure: WebSocketClosure) {
        self.continuation.yield(.closed(closure))
        self.continuation.finish()
    }
}

@available(*, unavailable)
extension StreamingReceiver: Sendable {}
