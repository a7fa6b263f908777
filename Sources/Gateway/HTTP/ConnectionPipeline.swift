import NIOCore
import NIOHTTP1
import NIOWebSocket
import Synchronization
import WavecastCore

/// Builds an accepted connection's pipeline: HTTP/1.1 with the WebSocket upgrader, then the routes.
///
/// The server and the client-bytes fuzzer (Fuzz/) both build connections here, so the fuzzer
/// drives exactly the handlers a client reaches.
struct ConnectionPipeline {
    let configuration: GatewayConfiguration
    let metrics: GatewayMetrics
    let directory: StreamDirectory
    let fanout: FanoutGroup
    /// The hub a listener on `channel` joins: its loop's share of the fan-out.
    let hub: @Sendable (_ channel: any Channel) -> LoopHub
    /// An inbound handler put in front of the HTTP routes and removed by an upgrade, or none (the
    /// server has none; the fuzzer keeps `/streams`, which waits on every fan-out loop, out of reach).
    var routeFilter: (any RouteFilter.Type)?
    /// The per-address cap on connection attempts, shared by every connection; `nil`: none.
    var connectLimit: ConnectAttemptLimit?

    /// Adds the handlers to `channel`'s pipeline; call on its event loop.
    func configure(_ channel: any Channel) throws {
        let configuration = self.configuration
        let metrics = self.metrics
        let hub = self.hub
        let connectLimit = self.connectLimit
        // Decided once, when the upgrader asks: read back when it builds the WebSocket pipeline, or by
        // GatewayHTTPHandler to answer a refusal without judging the request again.
        let decision = NIOLoopBoundBox<UpgradeDecision?>(nil, eventLoop: channel.eventLoop)
        let directory = self.directory
        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: configuration.maxClientFrameBytes,
            automaticErrorHandling: false,
            shouldUpgrade: { channel, head in
                let decided = Self.decide(
                    head,
                    channel: channel,
                    configuration: configuration,
                    metrics: metrics,
                    connectLimit: connectLimit
                )
                decision.value = decided
                switch decided {
                case .refuse:
                    // The request goes on to GatewayHTTPHandler, which answers with the refusal.
                    return channel.eventLoop.makeSucceededFuture(nil)
                case .call:
                    return channel.eventLoop.makeSucceededFuture(
                        HTTPHeaders([("X-Wavecast-Gateway", configuration.instanceName)])
                    )
                case .listener:
                    // Names the gateway that took the client, so spreading over replicas can be seen.
                    var headers = HTTPHeaders([("X-Wavecast-Gateway", configuration.instanceName)])
                    if ListenerAuthorization.offersSubprotocol(head) {
                        headers.add(name: "Sec-WebSocket-Protocol", value: ListenerAuthorization.subprotocol)
                    }
                    return channel.eventLoop.makeSucceededFuture(headers)
                }
            },
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeCompletedFuture {
                    let operations = channel.pipeline.syncOperations
                    // Frames to clients are pre-built once per chunk: they bypass NIO's frame encoder.
                    switch decision.value {
                    case .call(let machine):
                        let writer = PrebuiltFrameWriter()
                        try operations.addHandler(writer, position: .first)
                        try operations.addHandler(
                            TwilioHandler(
                                machine: machine,
                                hub: hub(channel).twilio,
                                writer: writer,
                                directory: directory,
                                configuration: configuration,
                                metrics: metrics,
                                logger: TwilioHandler.defaultLogger
                            )
                        )
                    case .listener(let stream, let compat, let expires, let resume):
                        let writer = PrebuiltFrameWriter()
                        try operations.addHandler(writer, position: .first)
                        try operations.addHandler(
                            ListenerHandler(
                                stream: stream,
                                compat: compat,
                                tokenExpires: expires,
                                resume: resume,
                                hub: hub(channel),
                                writer: writer
                            )
                        )
                    case .refuse, nil:
                        // The upgrader calls this only after `shouldUpgrade` accepted.
                        return
                    }
                }
            }
        )
        let routeFilter = self.routeFilter
        let operations = channel.pipeline.syncOperations
        try operations.configureHTTPServerPipeline(
            withServerUpgrade: (
                upgraders: [upgrader],
                completionHandler: { context in
                    // After the upgrade the bytes are WebSocket frames: plain HTTP handling is done.
                    let operations = context.pipeline.syncOperations
                    if let routeFilter {
                        routeFilter.remove(from: operations)
                    }
                    if let http = try? operations.context(handlerType: GatewayHTTPHandler.self) {
                        operations.removeHandler(context: http, promise: nil)
                    }
                }
            )
        )
        if let routeFilter {
            try operations.addHandler(routeFilter.init())
        }
        try operations.addHandler(
            GatewayHTTPHandler(
                configuration: configuration,
                metrics: metrics,
                directory: self.directory,
                fanout: self.fanout,
                connectLimit: connectLimit,
                upgradeDecision: decision
            )
        )
    }

    /// Decides a handshake the upgrader asks about. A refusal names the first of: draining, what is wrong with the
    /// request, the per-address attempt cap, the client limit (``UpgradeRefusal``).
    private static func decide(
        _ head: HTTPRequestHead,
        channel: any Channel,
        configuration: GatewayConfiguration,
        metrics: GatewayMetrics,
        connectLimit: ConnectAttemptLimit?
    ) -> UpgradeDecision {
        if metrics.draining.load(ordering: .relaxed) {
            return .refuse(.draining)
        }
        // Every attempt counts against the cap, a bad request too.
        var overCap: (address: String, perSecond: Int)?
        if let connectLimit, let address = channel.remoteAddress?.ipAddress,
            !connectLimit.admit(address, nanoseconds: NIODeadline.now().uptimeNanoseconds)
        {
            overCap = (address, connectLimit.perSecond)
        }
        let decision = UpgradeDecision.judge(head, configuration: configuration, now: WallClock.secondsSince1970())
        if case .refuse = decision {
            return decision
        }
        if let overCap {
            return .refuse(.tooManyAttempts(address: overCap.address, perSecond: overCap.perSecond))
        }
        guard metrics.reserveClientPlace(for: channel, limit: configuration.maxClients) else {
            return .refuse(.full(maxClients: configuration.maxClients))
        }
        return decision
    }
}

/// A handler that sees HTTP requests before the gateway's routes, until the connection upgrades.
///
/// `SendableMetatype`: the upgrade's completion handler, a `@Sendable` closure, holds the type to remove it.
protocol RouteFilter: ChannelInboundHandler, RemovableChannelHandler, SendableMetatype {
    init()
}

extension RouteFilter {
    /// Removes this type's handler from `operations`' pipeline, if it is there.
    fileprivate static func remove(from operations: ChannelPipeline.SynchronousOperations) {
        if let context = try? operations.context(handlerType: Self.self) {
            operations.removeHandler(context: context, promise: nil)
        }
    }
}
