public import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus
public import ServiceLifecycle
import Synchronization
import WavecastCore

/// A small HTTP server for operators: `GET /healthz` and `GET /metrics` (Prometheus text format).
public struct HealthServer: Service {
    private let host: String
    private let port: Int
    private let metrics: EncoderMetrics
    private let logger: Logger
    private let onBound: (@Sendable (Int) -> Void)?

    /// Creates the server.
    ///
    /// - Parameters:
    ///   - host: Address to listen on.
    ///   - port: Port to listen on; 0 picks a free one, reported through `onBound`.
    ///   - metrics: The metrics to serve, and the reactor's pulse that `/healthz` checks.
    ///   - logger: The server's logger.
    ///   - onBound: Called with the port once listening.
    public init(
        host: String,
        port: Int,
        metrics: EncoderMetrics,
        logger: Logger,
        onBound: (@Sendable (Int) -> Void)? = nil
    ) {
        self.host = host
        self.port = port
        self.metrics = metrics
        self.logger = logger
        self.onBound = onBound
    }

    public func run() async throws {
        let metrics = self.metrics
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(HealthHTTPHandler(metrics: metrics))
                }
            }
            .bind(host: self.host, port: self.port)
            .get()
        let port = channel.localAddress?.port ?? self.port
        self.logger.info("HTTP listening", metadata: ["http": "\(self.host):\(port)"])
        self.onBound?(port)
        await withTaskCancellationOrGracefulShutdownHandler {
            try? await channel.closeFuture.get()
        } onCancelOrGracefulShutdown: {
            channel.close(promise: nil)
        }
    }
}

/// Answers `/healthz` and `/metrics`; anything else is a 404.
final class HealthHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let metrics: EncoderMetrics
    private var keepAlive = false
    private var path = ""

    init(metrics: EncoderMetrics) {
        self.metrics = metrics
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let head):
            self.path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
            self.keepAlive = head.isKeepAlive
        case .body:
            break
        case .end:
            let (status, contentType, body) = self.respond()
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: contentType)
            headers.add(name: "Content-Length", value: "\(body.count)")
            headers.add(name: "Connection", value: self.keepAlive ? "keep-alive" : "close")
            context.write(
                Self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))),
                promise: nil
            )
            context.write(Self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
            if self.keepAlive {
                context.writeAndFlush(Self.wrapOutboundOut(.end(nil)), promise: nil)
            } else {
                let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
                context.writeAndFlush(Self.wrapOutboundOut(.end(nil))).whenComplete { _ in
                    loopBound.value.close(promise: nil)
                }
            }
        }
    }

    private func respond() -> (HTTPResponseStatus, String, [UInt8]) {
        switch self.path {
        case "/healthz":
            let pulse = MonotonicTime(nanoseconds: self.metrics.reactorPulse.load(ordering: .relaxed))
            let silentFor = MonotonicTime.now().nanoseconds(since: pulse)
            if pulse.nanoseconds != 0 && silentFor < 5_000_000_000 {
                return (.ok, "text/plain; charset=utf-8", Array("ok\n".utf8))
            }
            return (.serviceUnavailable, "text/plain; charset=utf-8", Array("reactor not running\n".utf8))
        case "/metrics":
            return (.ok, "text/plain; version=0.0.4; charset=utf-8", self.metrics.registry.emitToBuffer())
        default:
            return (.notFound, "text/plain; charset=utf-8", Array("not found; try /healthz or /metrics\n".utf8))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension HealthHTTPHandler: Sendable {}
