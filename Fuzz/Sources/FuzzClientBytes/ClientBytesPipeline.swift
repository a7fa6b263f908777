import Dispatch
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import WavecastCore

@testable import Gateway

/// The gateway's connection pipeline, as `GatewayService.configurePipeline` builds it, on an `EmbeddedChannel`.
///
/// Two differences, both because an `EmbeddedChannel` is not on one of the fan-out's loops: listeners join a
/// ``LoopHub`` made for the channel's loop, and `GET /streams` (which asks every fan-out loop for its listener
/// counts) is answered with 404 by ``StreamsRouteGuard`` instead of reaching ``GatewayHTTPHandler``.
enum ClientBytesPipeline {
    /// The defaults of `wavecast-gateway`.
    static let open = GatewayConfiguration(eventLoopThreads: 1, instanceName: "fuzz")
    /// With an Origin allow-list.
    static let restricted = GatewayConfiguration(
        allowedOrigins: ["http://localhost:8080"],
        eventLoopThreads: 1,
        instanceName: "fuzz"
    )

    /// The client's address, as an accepted connection has one.
    static let peer = try! SocketAddress(ipAddress: "127.0.0.1", port: 50_000)
    static let metrics = GatewayMetrics()
    static let directory = StreamDirectory()
    /// A fan-out group on one idle loop, which ``GatewayHTTPHandler`` needs only for `/streams`.
    static let fanout: FanoutGroup = {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let made = NIOLockedValueBox<FanoutGroup?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            let fanout = try await FanoutGroup.make(group: group, configuration: Self.open, metrics: Self.metrics)
            made.withLockedValue { $0 = fanout }
            done.signal()
        }
        done.wait()
        return made.withLockedValue { $0! }
    }()

    static func configure(_ channel: EmbeddedChannel, configuration: GatewayConfiguration) throws {
        let metrics = Self.metrics
        let hub = NIOLoopBound(
            LoopHub(eventLoop: channel.eventLoop, configuration: configuration, metrics: metrics),
            eventLoop: channel.eventLoop
        )
        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: configuration.maxClientFrameBytes,
            automaticErrorHandling: false,
            shouldUpgrade: { channel, head in
                let outcome = HandshakeCheck.evaluate(
                    head,
                    defaultStream: configuration.defaultStream,
                    allowedOrigins: configuration.allowedOrigins
                )
                guard case .accept = outcome,
                    metrics.reserveClientPlace(for: channel, limit: configuration.maxClients)
                else {
                    return channel.eventLoop.makeSucceededFuture(nil)
                }
                return channel.eventLoop.makeSucceededFuture(
                    HTTPHeaders([("X-Wavecast-Gateway", configuration.instanceName)])
                )
            },
            upgradePipelineHandler: { channel, head in
                channel.eventLoop.makeCompletedFuture {
                    guard
                        case .accept(let stream, let compat) = HandshakeCheck.evaluate(
                            head,
                            defaultStream: configuration.defaultStream,
                            allowedOrigins: configuration.allowedOrigins
                        )
                    else { return }
                    let operations = channel.pipeline.syncOperations
                    let writer = PrebuiltFrameWriter()
                    try operations.addHandler(writer, position: .first)
                    try operations.addHandler(
                        ListenerHandler(stream: stream, compat: compat, hub: hub.value, writer: writer)
                    )
                }
            }
        )
        let httpHandler = GatewayHTTPHandler(
            configuration: configuration,
            metrics: metrics,
            directory: Self.directory,
            fanout: Self.fanout
        )
        try channel.pipeline.syncOperations.configureHTTPServerPipeline(
            withServerUpgrade: (
                upgraders: [upgrader],
                completionHandler: { context in
                    let operations = context.pipeline.syncOperations
                    if let guardHandler = try? operations.context(handlerType: StreamsRouteGuard.self) {
                        operations.removeHandler(context: guardHandler, promise: nil)
                    }
                    if let http = try? operations.context(handlerType: GatewayHTTPHandler.self) {
                        operations.removeHandler(context: http, promise: nil)
                    }
                }
            )
        )
        try channel.pipeline.syncOperations.addHandler(StreamsRouteGuard())
        try channel.pipeline.syncOperations.addHandler(httpHandler)
    }

    /// Reads and drops what the pipeline wrote, so a long input does not pile up responses.
    static func drainOutbound(_ channel: EmbeddedChannel) {
        while let _ = try? channel.readOutbound(as: IOData.self) {}
        while let _ = try? channel.readOutbound(as: ByteBuffer.self) {}
    }
}

/// Sends `GET /streams` on as a request for an unknown path (see ``ClientBytesPipeline``).
final class StreamsRouteGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = Self.unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        if path == "/streams" {
            head.uri = "/streams-not-fuzzed"
        }
        context.fireChannelRead(Self.wrapInboundOut(.head(head)))
    }
}
