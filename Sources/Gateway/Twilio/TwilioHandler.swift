import Logging
import NIOCore
import NIOWebSocket
import Prometheus
import WavecastCore

/// One Twilio Media Streams call, after the upgrade: the executor of its ``TwilioSessionStateMachine``.
///
/// Inbound, it checks frames like every WebSocket client's (``InboundFrameChecker``: pings answered, closes echoed,
/// RFC 6455 enforced) and hands text messages to the machine. Once `start` sets the call up, it joins its loop's
/// ``TwilioLoopHub`` under the stream's µ-law key and writes each chunk as this call's `media` message: its cached
/// head, then the tail the bus thread built once for every call (``TwilioFrames``). Once a second it asks the machine
/// about the stream (live with µ-law? still unknown?) and the call's token (run out?), and closes a call silent for
/// the idle timeout or unable to take data for the lag limit. Confined to its channel's event loop.
final class TwilioHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame

    private var machine: TwilioSessionStateMachine
    private let hub: TwilioLoopHub
    private let writer: PrebuiltFrameWriter
    private let directory: StreamDirectory
    private let metrics: GatewayMetrics
    private let logger: Logger
    private let idleNanoseconds: UInt64
    private let maxLagNanoseconds: UInt64
    private var inbound: InboundFrameChecker
    private var context: ChannelHandlerContext?
    private var frames: TwilioFrames?
    /// The hub key the call is filed under, once joined.
    private var key: StreamID?
    private var tick: RepeatedTask?
    private var lastHeard: UInt64 = 0
    private var unwritableSince: UInt64?
    private var closing = false
    /// Ignored-message reasons already logged for this call (each is logged once, then only counted).
    private var loggedIgnored: Set<TwilioSessionStateMachine.Ignored> = []
    /// The call has been sent audio (a burst or a chunk), so a burst arriving later is not for it.
    private(set) var hasAudio = false
    /// Our marks sent to Twilio and not yet played back, oldest first; at most ``maximumAwaitedMarks``.
    private var awaitedMarks: [(name: String, epoch: UInt32)] = []

    /// How many marks a call may have unplayed; older ones are forgotten.
    static let maximumAwaitedMarks = 64

    init(
        machine: TwilioSessionStateMachine,
        hub: TwilioLoopHub,
        writer: PrebuiltFrameWriter,
        directory: StreamDirectory,
        configuration: GatewayConfiguration,
        metrics: GatewayMetrics,
        logger: Logger
    ) {
        self.machine = machine
        self.hub = hub
        self.writer = writer
        self.directory = directory
        self.metrics = metrics
        self.logger = logger
        self.idleNanoseconds = configuration.idleTimeout.wholeNanoseconds
        self.maxLagNanoseconds = configuration.maxClientLag.wholeNanoseconds
        self.inbound = InboundFrameChecker(maxMessageBytes: configuration.maxClientFrameBytes)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.lastHeard = NIODeadline.now().uptimeNanoseconds
        self.metrics.connections.increment()
        self.metrics.twilio.calls.increment()
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        self.tick = context.eventLoop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { _ in
            loopBound.value.everySecond()
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.leave()
        self.tick?.cancel()
        self.tick = nil
        self.context = nil
        self.metrics.connections.decrement()
        self.metrics.twilio.calls.decrement()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.leave()
        context.fireChannelInactive()
    }

    private func leave() {
        if let key = self.key {
            self.hub.remove(self, key: key)
            self.key = nil
        }
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        self.lastHeard = NIODeadline.now().uptimeNanoseconds
        guard !self.closing else { return }
        switch self.inbound.receive(frame) {
        case .none:
            break
        case .pong(let payload):
            self.writer.writeAndFlush(ByteBuffer(bytes: WebSocketFrameHeader.frame(opcode: .pong, payload: payload)))
        case .text(let message):
            let actions = self.machine.receive(
                text: message,
                now: self.lastHeard,
                wallClock: WallClock.secondsSince1970()
            )
            self.perform(actions)
        case .close(let code, let reason):
            self.close(code: code, reason: reason)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch error {
        case NIOWebSocketError.invalidFrameLength:
            self.close(code: 1009, reason: "frame too big: over \(self.inbound.maxMessageBytes) bytes")
        default:
            self.close(code: 1002, reason: "protocol error")
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            self.unwritableSince = nil
        } else if self.unwritableSince == nil {
            self.unwritableSince = NIODeadline.now().uptimeNanoseconds
        }
        context.fireChannelWritabilityChanged()
    }

    private func perform(_ actions: [TwilioSessionStateMachine.Action]) {
        for action in actions {
            switch action {
            case .join(let call):
                self.frames = TwilioFrames(streamSid: call.streamSid)
                let key = call.stream.key(for: .mulaw)
                self.key = key
                self.logger.info(
                    "Twilio call started",
                    metadata: [
                        "stream": "\(call.stream)", "twilio.stream_sid": "\(call.streamSid)",
                        "twilio.call_sid": "\(call.callSid ?? "")",
                    ]
                )
                self.hub.add(self, key: key)
                // A stream already live without µ-law is refused at once, not a second later.
                self.perform(
                    self.machine.check(
                        self.directory.muLaw.availability(of: call.stream),
                        now: NIODeadline.now().uptimeNanoseconds
                    )
                )
            case .close(let code, let reason):
                self.metrics.twilio.countClose(code: code)
                let metadata: Logger.Metadata = [
                    "code": "\(code)", "reason": "\(reason)",
                    "stream": "\(self.machine.call?.stream.description ?? "")",
                    "twilio.stream_sid": "\(self.machine.call?.streamSid ?? "")",
                ]
                if code == TwilioCloseCode.normal {
                    self.logger.info("Twilio call ended", metadata: metadata)
                } else {
                    // Refused at its start, or cut later (its stream lost µ-law, its token ran out): the reason says.
                    self.logger.warning("Twilio call closed by the gateway", metadata: metadata)
                }
                self.close(code: code, reason: reason)
            case .markPlayed(let name):
                // Twilio's echo of one of our marks: the audio before it has played on the call. Echoes of marks a
                // clear cut (Twilio sends those back too) find nothing here: they were reported cut.
                guard let key = self.key, let index = self.awaitedMarks.firstIndex(where: { $0.name == name }) else {
                    self.logger.debug("Twilio echoed a mark this call does not wait for", metadata: ["mark": "\(name)"])
                    break
                }
                let mark = self.awaitedMarks.remove(at: index)
                self.metrics.markEchoes.increment()
                self.hub.markPlayed(mark.name, epoch: mark.epoch, key: key)
            case .inboundMedia:
                self.metrics.twilio.inboundMedia.increment()
            case .dtmf(let digit):
                self.metrics.twilio.dtmf.increment()
                self.logger.info(
                    "Twilio caller pressed a key",
                    metadata: ["digit": "\(digit)", "twilio.stream_sid": "\(self.machine.call?.streamSid ?? "")"]
                )
            case .ignored(let reason, let detail):
                self.metrics.twilio.countIgnored(reason)
                if self.loggedIgnored.insert(reason).inserted {
                    self.logger.warning(
                        "Ignored a message from a Twilio call",
                        metadata: ["reason": "\(reason.rawValue)", "detail": "\(detail)"]
                    )
                }
            }
        }
    }

    // MARK: Outbound

    /// Writes `event` of the call's µ-law key, due now: a chunk as a `media` message, a clear as Twilio's `clear`.
    func receive(_ event: OutgoingEvent) {
        guard self.context != nil, !self.closing, var frames = self.frames else { return }
        switch event.kind {
        case .chunk:
            guard self.admitWrite() else { return }
            self.hasAudio = true
            let tail = event.frame
            let head = frames.mediaHead(tailLength: tail.readableBytes)
            self.frames = frames
            self.writer.write(head)
            self.writer.writeAndFlush(tail)
            self.metrics.twilio.mediaSent.increment()
            self.metrics.messagesSent.increment()
            self.metrics.bytesSent.increment(by: Int64(head.readableBytes + tail.readableBytes))
        case .clear:
            self.writer.writeAndFlush(frames.clear())
            self.metrics.twilio.clearsSent.increment()
            self.metrics.messagesSent.increment()
            // Twilio drops what it buffered, marks too: those not played yet never will be.
            if let key = self.key {
                for mark in self.awaitedMarks {
                    self.hub.markCut(mark.name, epoch: mark.epoch, key: key)
                }
            }
            self.awaitedMarks.removeAll()
        case .start, .end:
            // The call goes on across the stream's incarnations: a phone call does not end with one utterance.
            break
        case .mark:
            break
        }
    }

    /// Sends Twilio our mark `name`, right behind the audio before it; false when the call is closing or has no
    /// audio yet (it never had what comes before the mark).
    func send(mark name: String, epoch: UInt32) -> Bool {
        guard self.context != nil, !self.closing, let frames = self.frames, self.hasAudio else { return false }
        self.writer.writeAndFlush(frames.mark(name))
        self.metrics.messagesSent.increment()
        if self.awaitedMarks.count == Self.maximumAwaitedMarks {
            self.awaitedMarks.removeFirst()
        }
        self.awaitedMarks.append((name, epoch))
        return true
    }

    /// Writes the rendition's recent chunks (a call joining a stream that is playing), without waiting.
    func receive(burst: some Collection<OutgoingEvent>) {
        guard self.context != nil, !self.closing, var frames = self.frames, !burst.isEmpty else { return }
        self.hasAudio = true
        for event in burst {
            guard case .chunk = event.kind else { continue }
            self.writer.write(frames.mediaHead(tailLength: event.frame.readableBytes))
            self.writer.write(event.frame)
            self.metrics.twilio.mediaSent.increment()
        }
        self.frames = frames
        self.writer.flush()
    }

    /// Whether a chunk may be written: a call that could not take data for the lag limit is closed instead.
    private func admitWrite() -> Bool {
        let now = NIODeadline.now().uptimeNanoseconds
        if let since = self.unwritableSince, now > since, now - since > self.maxLagNanoseconds {
            self.metrics.slowClientCloses.increment()
            self.close(code: 1013, reason: "too slow: fell more than the lag limit behind")
            return false
        }
        return true
    }

    /// Sends a close frame with `code`, then closes the connection once it is written.
    func close(code: UInt16, reason: String) {
        guard let context, !self.closing else { return }
        self.closing = true
        self.leave()
        let frame = WebSocketFrameHeader.closeFrame(code: code, reason: reason)
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        self.writer.writeAndFlush(ByteBuffer(bytes: frame), eventLoop: context.eventLoop).whenComplete { _ in
            loopBound.value.close(promise: nil)
        }
        context.eventLoop.scheduleTask(in: .seconds(2)) { loopBound.value.close(promise: nil) }
    }

    private func everySecond() {
        guard self.context != nil, !self.closing else { return }
        let now = NIODeadline.now().uptimeNanoseconds
        if now &- self.lastHeard > self.idleNanoseconds {
            self.close(code: 1001, reason: "idle timeout: nothing heard from the call")
            return
        }
        let expired = self.machine.checkToken(wallClock: WallClock.secondsSince1970())
        if !expired.isEmpty {
            // Counted with the listeners closed for the same reason (a Twilio call cannot renew, so it always ends).
            self.metrics.expiredTokenCloses.increment()
            self.perform(expired)
            return
        }
        if let call = self.machine.call {
            self.perform(self.machine.check(self.directory.muLaw.availability(of: call.stream), now: now))
        }
    }
}

@available(*, unavailable)
extension TwilioHandler: Sendable {}

extension TwilioHandler {
    /// The logger of Twilio calls (the process's logging backend, label `wavecast.gateway.twilio`).
    static let defaultLogger = Logger(label: "wavecast.gateway.twilio")
}
