import Dispatch
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import WavecastCore

@testable import Gateway

/// The gateway's connection pipeline, built by the gateway's own ``ConnectionPipeline``, on an `EmbeddedChannel`.
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

    /// Builds the gateway's own connection pipeline (``ConnectionPipeline``) on `channel`.
    static func configure(_ channel: EmbeddedChannel, configuration: GatewayConfiguration) throws {
        let hub = NIOLoopBound(
            LoopHub(
                eventLoop: channel.eventLoop,
                loopIndex: 0,
                interest: nil,
                configuration: configuration,
                metrics: Self.metrics
            ),
            eventLoop: channel.eventLoop
        )
        try ConnectionPipeline(
            configuration: configuration,
            metrics: Self.metrics,
            directory: Self.directory,
            fanout: Self.fanout,
            hub: { _ in hub.value },
            routeFilter: StreamsRouteGuard.self
        ).configure(channel)
    }

    /// Reads and drops what the pipeline wrote, so a long input does not pile up responses.
    static func drainOutbound(_ channel: EmbeddedChannel) {
        while let _ = try? channel.readOutbound(as: IOData.self) {}
        while let _ = try? channel.readOutbound(as: ByteBuffer.self) {}
    }
}

/// Sends `GET /streams` on as a request for an unknown path (see ``ClientBytesPipeline``).
final class StreamsRouteGuard: RouteFilter {
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
