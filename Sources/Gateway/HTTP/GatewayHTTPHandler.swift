import NIOCore
import NIOHTTP1
import NIOWebSocket
import Prometheus
import Synchronization
import WavecastCore
import WavecastTokens

/// Answers the gateway's plain HTTP routes, and every request that did not become a WebSocket.
///
/// `/healthz`, `/readyz`, `/metrics`, `/streams`, `/`; a `/ws` or `/twilio` request reaching this handler did not
/// become a WebSocket, and gets a complete error response that says why: the upgrader's refusal when it decided
/// (``UpgradeDecision``), else the handler's own verdict.
final class GatewayHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let configuration: GatewayConfiguration
    private let metrics: GatewayMetrics
    private let directory: StreamDirectory
    private let fanout: FanoutGroup
    private var head: HTTPRequestHead?
    /// Closes a connection that sends no complete request in time: a half-sent handshake
    /// (slowloris) or an idle keep-alive connection must not hold a descriptor forever.
    private var requestTimeout: Scheduled<Void>?
    /// How long a connection may take to send a whole request, or stay idle between requests
    /// (`GatewayConfiguration.requestTimeout`).
    private let requestTimeoutAmount: TimeAmount

    private let connectLimit: ConnectAttemptLimit?
    /// The upgrader's decision on the connection's first request, set before that request reaches this handler.
    private let upgradeDecision: NIOLoopBoundBox<UpgradeDecision?>?
    /// The upgrader's refusal of the request being read, taken from ``upgradeDecision`` at its head.
    private var refusal: UpgradeRefusal?

    init(
        configuration: GatewayConfiguration,
        metrics: GatewayMetrics,
        directory: StreamDirectory,
        fanout: FanoutGroup,
        connectLimit: ConnectAttemptLimit? = nil,
        upgradeDecision: NIOLoopBoundBox<UpgradeDecision?>? = nil
    ) {
        self.configuration = configuration
        self.upgradeDecision = upgradeDecision
        self.metrics = metrics
        self.directory = directory
        self.connectLimit = connectLimit
        self.fanout = fanout
        self.requestTimeoutAmount = .nanoseconds(Int64(clamping: configuration.requestTimeout.wholeNanoseconds))
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.armRequestTimeout(context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // Removed at the upgrade: from then on the WebSocket's own idle checks apply.
        self.requestTimeout?.cancel()
        self.requestTimeout = nil
    }

    private func armRequestTimeout(context: ChannelHandlerContext) {
        self.requestTimeout?.cancel()
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        self.requestTimeout = context.eventLoop.scheduleTask(in: self.requestTimeoutAmount) {
            loopBound.value.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            // Only the first request is offered to the upgrader: take its decision, so no later request sees it.
            if case .refuse(let refusal) = self.upgradeDecision?.value {
                self.refusal = refusal
            } else {
                self.refusal = nil
            }
            self.upgradeDecision?.value = nil
        case .body:
            break
        case .end:
            guard let head = self.head else { return }
            self.head = nil
            self.respond(to: head, context: context)
            // The next request (keep-alive) gets its own allowance.
            self.armRequestTimeout(context: context)
        }
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        switch path {
        case "/healthz":
            self.send(.ok, "ok\n", head: head, context: context)
        case "/readyz" where self.metrics.draining.load(ordering: .relaxed):
            self.send(
                .serviceUnavailable,
                "not ready: draining, the gateway is shutting down\n",
                head: head,
                context: context
            )
        case "/readyz":
            let last = self.metrics.lastHeartbeat.load(ordering: .relaxed)
            let age = NIODeadline.now().uptimeNanoseconds &- last
            if last != 0 && age < self.configuration.heartbeatTimeout.wholeNanoseconds {
                self.send(.ok, "ready\n", head: head, context: context)
            } else {
                self.send(
                    .serviceUnavailable,
                    "not ready: no heartbeat from an encoder yet\n",
                    head: head,
                    context: context
                )
            }
        case "/metrics":
            self.send(
                .ok,
                self.metrics.registry.emitToBuffer(),
                contentType: "text/plain; version=0.0.4; charset=utf-8",
                head: head,
                context: context
            )
        case "/streams":
            // With tokens, the list shows the public streams and those the request's token grants.
            var visible: ListenerToken?
            if let tokens = self.configuration.tokens {
                var granted = self.configuration.publicStreams
                if let text = ListenerAuthorization.token(in: head) {
                    do {
                        granted += try tokens.verify(text, now: WallClock.secondsSince1970()).streams
                    } catch {
                        self.send(
                            .unauthorized,
                            "\(error)\n",
                            extraHeaders: [ListenerAuthorization.challenge],
                            head: head,
                            context: context
                        )
                        return
                    }
                }
                visible = ListenerToken(streams: granted, expires: .max)
            }
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let directory = self.directory
            let filter = visible
            self.fanout.listenerCounts().hop(to: context.eventLoop).whenSuccess { counts in
                let (handler, context) = loopBound.value
                let entries = directory.snapshot().filter { filter?.grants($0.0.rawValue) ?? true }
                let streams = entries.map { stream, entry -> JSONValue in
                    let position =
                        entry.sampleRate > 0
                        ? MediaClock.milliseconds(samples: entry.positionSamples, sampleRate: entry.sampleRate) : 0
                    return .object([
                        "stream": .string(stream.rawValue),
                        "format": .object([
                            "codec": "mp3",
                            "sample_rate": .number(Double(entry.sampleRate)),
                            "channels": .number(Double(entry.channels)),
                            "bitrate": .number(Double(entry.bitrate)),
                        ]),
                        "position_ms": .number(Double(position)),
                        "sequence": entry.lastSequence.map { .number(Double($0)) } ?? .null,
                        "gaps": .number(Double(entry.gaps)),
                        "listeners": .number(Double(counts[stream.rawValue] ?? 0)),
                    ])
                }
                handler.send(
                    .ok,
                    JSONValue.object(["streams": .array(streams)]).serializedBytes,
                    contentType: "application/json",
                    head: head,
                    context: context
                )
            }
        default:
            if let asset = PlayerAsset.at(path: path) {
                self.serve(asset, head: head, context: context)
            } else if HandshakeCheck.route(uri: head.uri, defaultStream: self.configuration.defaultStream) != nil
                || TwilioHandshake.handles(head.uri)
            {
                self.refuseUpgrade(head, context: context)
            } else {
                self.send(.notFound, "not found: \(path)\n", head: head, context: context)
            }
        }
    }

    /// Answers a request for a file of the player page: the file, or 304 when the browser's copy is current.
    private func serve(_ asset: PlayerAsset, head: HTTPRequestHead, context: ChannelHandlerContext) {
        let headers = [("Cache-Control", asset.cacheControl), ("ETag", asset.entityTag)]
        // RFC 9110 §13.1.2: If-None-Match compares weakly, so a `W/` tag (a compressing proxy's) matches too.
        let known: [Substring] = head.headers["If-None-Match"].flatMap { $0.split(separator: ",") }
        if known.contains(where: { tag in
            var trimmed = tag.filter { !$0.isWhitespace }
            if trimmed.hasPrefix("W/") { trimmed.removeFirst(2) }
            return trimmed == asset.entityTag || trimmed == "*"
        }) {
            self.send(
                .notModified,
                [],
                contentType: asset.contentType,
                extraHeaders: headers,
                head: head,
                context: context
            )
        } else {
            self.send(
                .ok,
                asset.bytes,
                contentType: asset.contentType,
                extraHeaders: headers,
                head: head,
                context: context
            )
        }
    }

    /// A `/ws` or `/twilio` request that did not become a WebSocket: say exactly why.
    private func refuseUpgrade(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let refusal = self.refusal(of: head, context: context)
        self.refusal = nil
        self.metrics.countRejectedHandshake(status: Int(refusal.status.code))
        self.send(
            refusal.status,
            refusal.reason + "\n",
            extraHeaders: refusal.headers,
            head: head,
            context: context,
            forceClose: true
        )
    }

    /// The upgrader's refusal of `head`, or, for a request the upgrader never asked about, the handler's own
    /// verdict, in the same order (``UpgradeRefusal``). A drain begun since the upgrader decided is said first.
    private func refusal(of head: HTTPRequestHead, context: ChannelHandlerContext) -> UpgradeRefusal {
        if self.metrics.draining.load(ordering: .relaxed) {
            return .draining
        }
        if let refusal = self.refusal {
            return refusal
        }
        if case .refuse(let refusal) = UpgradeDecision.judge(
            head,
            configuration: self.configuration,
            now: WallClock.secondsSince1970()
        ) {
            return refusal
        }
        if let connectLimit, let address = context.channel.remoteAddress?.ipAddress,
            connectLimit.isOver(address, nanoseconds: NIODeadline.now().uptimeNanoseconds)
        {
            return .tooManyAttempts(address: address, perSecond: connectLimit.perSecond)
        }
        return .full(maxClients: self.configuration.maxClients)
    }

    private func send(
        _ status: HTTPResponseStatus,
        _ text: String,
        extraHeaders: [(String, String)] = [],
        head: HTTPRequestHead,
        context: ChannelHandlerContext,
        forceClose: Bool = false
    ) {
        self.send(
            status,
            Array(text.utf8),
            contentType: "text/plain; charset=utf-8",
            extraHeaders: extraHeaders,
            head: head,
            context: context,
            forceClose: forceClose
        )
    }

    private func send(
        _ status: HTTPResponseStatus,
        _ body: [UInt8],
        contentType: String,
        extraHeaders: [(String, String)] = [],
        head: HTTPRequestHead,
        context: ChannelHandlerContext,
        forceClose: Bool = false
    ) {
        let keepAlive = head.isKeepAlive && !forceClose
        var headers = HTTPHeaders()
        // A 304 has no body, and its headers describe the representation the client already has.
        if status != .notModified {
            headers.add(name: "Content-Type", value: contentType)
            headers.add(name: "Content-Length", value: String(body.count))
        }
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        for (name, value) in extraHeaders {
            headers.add(name: name, value: value)
        }
        context.write(
            Self.wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))),
            promise: nil
        )
        context.write(Self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
        if keepAlive {
            context.writeAndFlush(Self.wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(Self.wrapOutboundOut(.end(nil))).whenComplete { _ in
                loopBound.value.close(promise: nil)
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A refused upgrade (shouldUpgrade said no, or a bad key or version) is reported here first, then the
        // request itself comes through and gets its complete error response: keep the connection for that.
        if error is NIOWebSocketUpgradeError { return }
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension GatewayHTTPHandler: Sendable {}
