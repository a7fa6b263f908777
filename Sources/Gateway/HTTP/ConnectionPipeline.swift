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
        // Decided once, when the upgrader asks, and read back when it builds the WebSocket pipeline.
        let accepted = NIOLoopBoundBox<(stream: StreamID, compat: Bool, expires: Int64?, resume: ResumePoint?)?>(
            nil,
            eventLoop: channel.eventLoop
        )
        // The same for a Twilio Media Streams call (`/twilio`): the machine that will run it.
        let acceptedCall = NIOLoopBoundBox<TwilioSessionStateMachine?>(nil, eventLoop: channel.eventLoop)
        let directory = self.directory
        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: configuration.maxClientFrameBytes,
            automaticErrorHandling: false,
            shouldUpgrade: { channel, head in
                if metrics.draining.load(ordering: .relaxed) {
                    // Draining (shutting down): GatewayHTTPHandler answers 503.
                    return channel.eventLoop.makeSucceededFuture(nil)
                }
                if let connectLimit, let address = channel.remoteAddress?.ipAddress,
                    !connectLimit.admit(address, nanoseconds: NIODeadline.now().uptimeNanoseconds)
                {
                    // Refused: GatewayHTTPHandler answers 429.
                    return channel.eventLoop.makeSucceededFuture(nil)
                }
                if TwilioHandshake.handles(head.uri) {
                    let now = WallClock.secondsSince1970()
                    guard
                        case .accept(let machine) = TwilioHandshake.evaluate(
                            head,
                            configuration: configuration,
                            now: now
                        ),
                        metrics.reserveClientPlace(for: channel, limit: configuration.maxClients)
                    else {
                        // Refused: GatewayHTTPHandler says why.
                        return channel.eventLoop.makeSucceededFuture(nil)
                    }
                    acceptedCall.value = machine
                    return channel.eventLoop.makeSucceededFuture(
                        HTTPHeaders([("X-Wavecast-Gateway", configuration.instanceName)])
                    )
                }
                let outcome = HandshakeCheck.evaluate(
                    head,
                    defaultStream: configuration.defaultStream,
                    allowedOrigins: configuration.allowedOrigins,
                    tokens: configuration.tokens,
                    publicStreams: configuration.publicStreams,
                    now: WallClock.secondsSince1970()
                )
                guard case .accept(let stream, let compat, let expires, let resume) = outcome,
                    metrics.reserveClientPlace(for: channel, limit: configuration.maxClients)
                else {
                    // Refused: the request goes on to GatewayHTTPHandler, which says why.
                    return channel.eventLoop.makeSucceededFuture(nil)
                }
                accepted.value = (stream, compat, expires, resume)
                // Names the gateway that took the client, so spreading over replicas can be seen.
                var headers = HTTPHeaders([("X-Wavecast-Gateway", configuration.instanceName)])
                if ListenerAuthorization.offersSubprotocol(head) {
                    headers.add(name: "Sec-WebSocket-Protocol", value: ListenerAuthorization.subprotocol)
                }
                return channel.eventLoop.makeSucceededFuture(headers)
            },
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeCompletedFuture {
                    let operations = channel.pipeline.syncOperations
                    if let machine = acceptedCall.value {
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
                        return
                    }
                    // The upgrader calls this only after `shouldUpgrade` accepted.
                    guard let listener = accepted.value else { return }
                    // Frames to clients are pre-built once per chunk: they bypass NIO's frame encoder.
                    let writer = PrebuiltFrameWriter()
                    try operations.addHandler(writer, position: .first)
                    try operations.addHandler(
                        ListenerHandler(
                            stream: listener.stream,
                            compat: listener.compat,
                            tokenExpires: listener.expires,
                            resume: listener.resume,
                            hub: hub(channel),
                            writer: writer
                        )
                    )
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
                connectLimit: connectLimit
            )
        )
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
