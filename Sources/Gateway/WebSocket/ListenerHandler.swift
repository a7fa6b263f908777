import NIOCore
import NIOWebSocket
import Prometheus
import WavecastCore
import WavecastTokens

/// One WebSocket client of one stream, after the upgrade.
///
/// Outbound, it writes pre-built frames (the shared buffers of ``OutgoingEvent``) through a
/// ``PrebuiltFrameWriter`` at the head of the pipeline, so nothing is encoded per client.
/// Inbound, it answers pings, echoes a close, and closes a client that breaks RFC 6455 (see
/// ``InboundFrameChecker``). It closes a client that falls more than `--max-client-lag-ms` behind
/// with 1013. Confined to its channel's event loop.
final class ListenerHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame

    /// The stream this client listens to.
    let stream: StreamID
    /// Whether it asked for the prototype's message shape (`?compat=seed`).
    let compat: Bool
    /// Its place in its hub's list; -1 when not in one.
    var hubIndex = -1
    /// It has been sent a sync chunk, so every later chunk decodes; before that, chunks are held back.
    var hasSynced = false {
        didSet { if self.hasSynced != oldValue { self.directDescriptorChanged() } }
    }

    private let hub: LoopHub
    private let writer: PrebuiltFrameWriter
    private let metrics: GatewayMetrics
    private let maxLagNanoseconds: UInt64
    private let pingNanoseconds: UInt64
    private let idleNanoseconds: UInt64
    private var context: ChannelHandlerContext?
    private var unwritableSince: UInt64? {
        didSet { if (self.unwritableSince == nil) != (oldValue == nil) { self.directDescriptorChanged() } }
    }
    private var lastHeard: UInt64 = 0
    private var lastPing: UInt64 = 0
    private var closing = false {
        didSet { if self.closing != oldValue { self.directDescriptorChanged() } }
    }
    private var inbound: InboundFrameChecker
    /// When the listener's token runs out (seconds since 1970); `nil` without tokens. A renewal moves it.
    private var tokenExpires: Int64?
    /// The marks sent to this listener and not yet echoed, oldest first; at most ``maximumAwaitedMarks``.
    private var awaitedMarks: [(name: String, epoch: UInt32)] = []

    /// Where the client left off when it asked to resume; taken (and cleared) by its first burst.
    var resume: ResumePoint?

    init(
        stream: StreamID,
        compat: Bool,
        tokenExpires: Int64? = nil,
        resume: ResumePoint? = nil,
        hub: LoopHub,
        writer: PrebuiltFrameWriter
    ) {
        self.resume = resume
        self.writer = writer
        self.stream = stream
        self.compat = compat
        self.tokenExpires = tokenExpires
        self.hub = hub
        self.metrics = hub.metrics
        self.maxLagNanoseconds = hub.configuration.maxClientLag.wholeNanoseconds
        self.pingNanoseconds = hub.configuration.pingInterval.wholeNanoseconds
        self.idleNanoseconds = hub.configuration.idleTimeout.wholeNanoseconds
        self.inbound = InboundFrameChecker(maxMessageBytes: hub.configuration.maxClientFrameBytes)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.writer.directDescriptorChanged = { [weak self] in self?.directDescriptorChanged() }
        self.lastHeard = NIODeadline.now().uptimeNanoseconds
        self.metrics.connections.increment()
        self.hub.add(self)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.hub.remove(self)
        self.writer.directDescriptorChanged = nil
        self.context = nil
        self.metrics.connections.decrement()
    }

    // MARK: Outbound

    /// The socket the fan-out may send this listener's next frame to itself, without calling
    /// ``write(_:flush:now:)``, or -1 when the frame must go through it: until the listener has
    /// synced, while it is closing or unwritable (the lag check), and while NIO holds anything
    /// for it. The hub keeps a copy, updated through ``directDescriptorChanged()``.
    var directDescriptor: CInt {
        guard self.context != nil, !self.closing, self.hasSynced, self.unwritableSince == nil else { return -1 }
        return self.writer.directDescriptor
    }

    /// Tells the hub that ``directDescriptor`` may have changed.
    private func directDescriptorChanged() {
        self.hub.directDescriptorChanged(for: self)
    }

    /// Sends, through NIO, what the kernel did not take of a frame the fan-out sent directly.
    func writeRemainder(of frame: ByteBuffer, afterSending sentBytes: Int) {
        var rest = frame
        rest.moveReaderIndex(forwardBy: sentBytes)
        self.writer.writeAndFlushThroughNIO(rest)
    }

    /// Writes one pre-built frame, and with `flush` sends it and what was queued before it;
    /// returns false when the client is closing or was just closed for being too slow.
    @discardableResult
    func write(_ frame: ByteBuffer, flush: Bool, now: UInt64) -> Bool {
        guard self.context != nil, !self.closing else { return false }
        // `unwritableSince` follows channelWritabilityChanged, so the hot path reads no channel state.
        // `now` may be older than `since`: a burst or merged backlog read the clock before its
        // writes, and one of them can turn the channel unwritable on the way.
        if let since = self.unwritableSince, now > since, now - since > self.maxLagNanoseconds {
            self.metrics.slowClientCloses.increment()
            self.close(code: 1013, reason: "too slow: fell more than the lag limit behind")
            return false
        }
        if flush {
            self.writer.writeAndFlush(frame)
        } else {
            self.writer.write(frame)
        }
        return true
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            self.unwritableSince = nil
        } else if self.unwritableSince == nil {
            self.unwritableSince = NIODeadline.now().uptimeNanoseconds
        }
        context.fireChannelWritabilityChanged()
    }

    /// Sends what ``write(_:flush:now:)`` queued.
    func flush() {
        self.writer.flush()
    }

    /// Sends a close frame with `code`, then closes the connection once it is written.
    func close(code: UInt16, reason: String) {
        guard let context, !self.closing else { return }
        self.closing = true
        let frame = WebSocketFrameHeader.closeFrame(code: code, reason: reason)
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        self.writer.writeAndFlush(ByteBuffer(bytes: frame), eventLoop: context.eventLoop).whenComplete { _ in
            loopBound.value.close(promise: nil)
        }
        // A client that stopped reading never lets the close frame out: don't wait for it forever.
        context.eventLoop.scheduleTask(in: .seconds(2)) { loopBound.value.close(promise: nil) }
    }

    /// Pings a quiet client, and closes one that has said nothing for the idle timeout, or whose
    /// token ran out (and was not renewed).
    func checkIdle(now: UInt64) {
        guard self.context != nil, !self.closing else { return }
        if let expires = self.tokenExpires, WallClock.secondsSince1970() >= expires {
            self.metrics.expiredTokenCloses.increment()
            self.close(code: Self.tokenExpiredCode, reason: "token expired; reconnect with a new one or renew it")
            return
        }
        let quiet = now &- self.lastHeard
        if quiet > self.idleNanoseconds {
            self.close(code: 1001, reason: "idle timeout: no pong or frame")
        } else if quiet > self.pingNanoseconds && now &- self.lastPing > self.pingNanoseconds {
            self.lastPing = now
            let ping = WebSocketFrameHeader.frame(opcode: .ping, payload: Array("wavecast".utf8))
            self.writer.writeAndFlush(ByteBuffer(bytes: ping))
        }
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        self.lastHeard = NIODeadline.now().uptimeNanoseconds
        guard !self.closing else { return }
        switch self.inbound.receive(frame) {
        case .none:
            // Listeners have nothing to say; their frames only show they are alive.
            break
        case .pong(let payload):
            self.writer.writeAndFlush(ByteBuffer(bytes: WebSocketFrameHeader.frame(opcode: .pong, payload: payload)))
        case .text(let message):
            self.receive(message)
        case .close(let code, let reason):
            self.close(code: code, reason: reason)
        }
    }

    /// The close code for a token that ran out or a renewal that was refused (like HTTP's 401).
    static let tokenExpiredCode: UInt16 = 4401
    /// The close code for a renewal with a token for other streams (like HTTP's 403).
    static let tokenForbiddenCode: UInt16 = 4403

    /// How many marks a listener may have unechoed; older ones are forgotten (a player that never echoes costs
    /// this much).
    static let maximumAwaitedMarks = 64

    /// Forgets the marks this listener was sent and has not echoed (a clear cut them), and returns them.
    func takeAwaitedMarks() -> [(name: String, epoch: UInt32)] {
        defer { self.awaitedMarks.removeAll() }
        return self.awaitedMarks
    }

    /// Notes that the mark `name` was sent to this listener; false when the listener is closing.
    func awaitEcho(of name: String, epoch: UInt32) -> Bool {
        guard self.context != nil, !self.closing else { return false }
        if self.awaitedMarks.count == Self.maximumAwaitedMarks {
            self.awaitedMarks.removeFirst()
        }
        self.awaitedMarks.append((name, epoch))
        return true
    }

    /// A text message from the client: `{"event":"token","token":JWT}` renews its token and
    /// `{"event":"mark","name":…}` echoes a mark it has played; anything else only shows it is alive.
    private func receive(_ message: [UInt8]) {
        guard case .object(let object)? = try? JSONValue.parse(message) else { return }
        switch object["event"] {
        case .string("token"): self.renew(object)
        case .string("mark"): self.echo(object)
        default: return
        }
    }

    /// An echo of a mark sent on this connection is counted once; anything else is answered with an error event.
    private func echo(_ object: JSONObject) {
        guard case .string(let name)? = object["name"],
            let index = self.awaitedMarks.firstIndex(where: { $0.name == name })
        else {
            self.hub.metrics.invalidMarkEchoes.increment()
            guard !self.compat else { return }
            let reply = JSONValue.object([
                "event": "error",
                "code": "unknown_mark",
                "message": .string(
                    "a mark echo needs the 'name' of a mark sent on this connection and not yet echoed; got "
                        + String((object["name"]?.serialized ?? "none").prefix(80))
                ),
            ]).serializedBytes
            self.writer.writeAndFlush(ByteBuffer(bytes: WebSocketFrameHeader.frame(opcode: .text, payload: reply)))
            return
        }
        let mark = self.awaitedMarks.remove(at: index)
        self.hub.markEchoed(mark.name, epoch: mark.epoch, of: self.stream)
    }

    private func renew(_ object: JSONObject) {
        guard let tokens = self.hub.configuration.tokens, self.tokenExpires != nil else { return }
        guard case .string(let text)? = object["token"] else {
            self.close(code: Self.tokenExpiredCode, reason: "a token renewal needs a 'token' string")
            return
        }
        let token: ListenerToken
        do {
            token = try tokens.verify(text, now: WallClock.secondsSince1970())
        } catch {
            self.close(code: Self.tokenExpiredCode, reason: String("renewal refused: \(error)".prefix(120)))
            return
        }
        guard token.grants(self.stream.description) else {
            self.close(code: Self.tokenForbiddenCode, reason: "renewal refused: the token does not grant this stream")
            return
        }
        self.tokenExpires = token.expires
        // `?compat=seed` clients get chunks only, in the prototype's shape.
        guard !self.compat else { return }
        let reply = JSONValue.object(["event": "token", "expires": .number(Double(token.expires))]).serializedBytes
        self.writer.writeAndFlush(ByteBuffer(bytes: WebSocketFrameHeader.frame(opcode: .text, payload: reply)))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch error {
        case NIOWebSocketError.invalidFrameLength:
            self.close(code: 1009, reason: "frame too big: over \(self.inbound.maxMessageBytes) bytes")
        case NIOWebSocketError.fragmentedControlFrame:
            self.close(code: 1002, reason: "control frames must not be fragmented")
        case NIOWebSocketError.multiByteControlFrameLength:
            self.close(code: 1002, reason: "control frame over 125 bytes")
        default:
            self.close(code: 1002, reason: "protocol error")
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.hub.remove(self)
        context.fireChannelInactive()
    }
}

@available(*, unavailable)
extension ListenerHandler: Sendable {}
