import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import WavecastCore

/// A tiny WebSocket server for the client's tests: on `/ws/…` it sends a ping, a `start`, then
/// chunk messages 72 ms apart (a few, then `end` and a close frame; or until the client leaves);
/// any other path is refused with 403. It records what the clients sent.
final class TestWebSocketServer: Sendable {
    /// What a client sent, as the server saw it.
    struct Received: Sendable, Equatable {
        var opcode: WebSocketOpcode
        var masked: Bool
        var data: [UInt8]
    }

    let group: MultiThreadedEventLoopGroup
    let channel: any Channel
    /// Chunks to send before `end` (nil: until the client closes).
    let chunkCount: Int?
    let received = NIOLockedValueBox<[Received]>([])

    var port: Int { self.channel.localAddress!.port! }

    init(chunkCount: Int?) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.group = group
        self.chunkCount = chunkCount
        let recorder = Recorder()
        self.channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let upgrader = NIOTypedWebSocketServerUpgrader<Bool>(
                        shouldUpgrade: { channel, head in
                            channel.eventLoop.makeSucceededFuture(head.uri.hasPrefix("/ws/") ? HTTPHeaders() : nil)
                        },
                        upgradePipelineHandler: { channel, _ in
                            channel.eventLoop.makeCompletedFuture {
                                try channel.pipeline.syncOperations.addHandler(
                                    ChunkSender(chunkCount: chunkCount, recorder: recorder)
                                )
                                return true
                            }
                        }
                    )
                    _ = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(
                        configuration: .init(
                            upgradeConfiguration: .init(
                                upgraders: [upgrader],
                                notUpgradingCompletionHandler: { channel in
                                    channel.eventLoop.makeCompletedFuture {
                                        try channel.pipeline.syncOperations.addHandler(Refuser())
                                        return false
                                    }
                                }
                            )
                        )
                    )
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        recorder.server = self
    }

    func shutdown() async throws {
        try await self.channel.close()
        try await self.group.shutdownGracefully()
    }
}

/// Lets the handlers reach the server's record (set once, before any client connects).
final class Recorder: @unchecked Sendable {
    // Written once right after binding, before any connection exists; read-only afterwards.
    weak var server: TestWebSocketServer?

    func record(_ frame: WebSocketFrame) {
        let entry = TestWebSocketServer.Received(
            opcode: frame.opcode,
            masked: frame.maskKey != nil,
            data: Array(frame.unmaskedData.readableBytesView)
        )
        self.server?.received.withLockedValue { $0.append(entry) }
    }
}

/// Answers a request that did not upgrade with 403.
final class Refuser: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .end = Self.unwrapInboundIn(data) else { return }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Length", value: "0")
        headers.add(name: "Connection", value: "close")
        context.write(Self.wrapOutboundOut(.head(.init(version: .http1_1, status: .forbidden, headers: headers))))
            .whenComplete { _ in }
        context.writeAndFlush(Self.wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}

@available(*, unavailable)
extension Refuser: Sendable {}

/// Sends the test stream to one client and records what it sends back.
final class ChunkSender: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let chunkCount: Int?
    private let recorder: Recorder
    private var task: Scheduled<Void>?
    private var start = NIODeadline.now()
    private var sequence: UInt64 = 0

    init(chunkCount: Int?, recorder: Recorder) {
        self.chunkCount = chunkCount
        self.recorder = recorder
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.send(context, opcode: .ping, Array("hi".utf8))
        self.send(
            context,
            opcode: .text,
            ClientMessage.start(stream: try! StreamID("test"), sampleRate: 8000, channels: 1, bitrate: 8)
        )
        self.start = .now()
        self.schedule(context)
    }

    private func schedule(_ context: ChannelHandlerContext) {
        let due = self.start + .milliseconds(72 * Int64(self.sequence))
        self.task = context.eventLoop.assumeIsolated().scheduleTask(deadline: due) {
            self.tick(context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.task?.cancel()
    }

    private func tick(_ context: ChannelHandlerContext) {
        if let chunkCount = self.chunkCount, self.sequence == UInt64(chunkCount) {
            self.send(context, opcode: .text, ClientMessage.end(stream: try! StreamID("test"), stopped: false))
            self.send(context, opcode: .connectionClose, [0x03, 0xE8])
            return
        }
        let payload: [UInt8] = [0xFF, 0xE3, 0x18, 0xC4, 0x00] + (5..<72).map { UInt8($0) }
        let message = ClientMessage.chunk(
            payload: payload,
            isSync: true,
            sequence: self.sequence,
            timestampMicroseconds: self.sequence * 72_000,
            durationMicroseconds: 72_000
        )
        self.sequence += 1
        self.send(context, opcode: .text, message)
        self.schedule(context)
    }

    private func send(_ context: ChannelHandlerContext, opcode: WebSocketOpcode, _ bytes: [UInt8]) {
        let frame = WebSocketFrame(fin: true, opcode: opcode, data: context.channel.allocator.buffer(bytes: bytes))
        context.writeAndFlush(Self.wrapOutboundOut(frame), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        self.recorder.record(frame)
        if frame.opcode == .connectionClose {
            self.task?.cancel()
            self.task = nil
            if self.chunkCount == nil {
                // The client began the closing handshake: answer it.
                self.send(context, opcode: .connectionClose, Array(frame.unmaskedData.readableBytesView.prefix(2)))
            }
            context.close(promise: nil)
        }
    }
}

@available(*, unavailable)
extension ChunkSender: Sendable {}
