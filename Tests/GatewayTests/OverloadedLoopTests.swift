import Foundation
import NIOCore
import NIOPosix
import Testing
import WavecastCore

@testable import Gateway

/// A loop whose fan-outs take longer than the chunks they send still polls its sockets: it keeps
/// accepting and answering while it is behind.
///
/// NIO runs every task that is due before it polls again, so a loop that merged its backlog in a
/// task run at once never polled while the overload lasted: new clients waited until listeners
/// left (seen at 3,000 clients with the CPU taken by other work, and at 10,000 in the benchmark).
@Suite struct OverloadedLoopTests {
    @Test func aLoopThatStaysBehindStillAnswersNewConnections() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let configuration = GatewayConfiguration(burst: .zero, eventLoopThreads: 1, instanceName: "overload")
        let fanout = try await FanoutGroup.make(group: group, configuration: configuration, metrics: GatewayMetrics())
        let stream = try StreamID("overload")

        // Every write to this listener holds the loop for 100 ms: each 72 ms chunk's fan-out overruns.
        let listenerServer = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let operations = channel.pipeline.syncOperations
                    let writer = PrebuiltFrameWriter()
                    try operations.addHandler(writer, position: .first)
                    try operations.addHandler(LoopHoldingWrites(seconds: 0.1), position: .first)
                    let hub = fanout.hub(on: channel.eventLoop)
                    try operations.addHandler(ListenerHandler(stream: stream, compat: false, hub: hub, writer: writer))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        // On the same loop: answers each byte with one byte.
        let echoServer = try await ServerBootstrap(group: group)
            .childChannelInitializer { $0.pipeline.addHandler(EchoHandler()) }
            .bind(host: "127.0.0.1", port: 0).get()
        let listenerPort = try #require(listenerServer.localAddress?.port)
        let echoPort = try #require(echoServer.localAddress?.port)

        let listener = try RawWebSocket(port: listenerPort)
        let joined = ContinuousClock.now
        while try await fanout.listenerCounts().get()[stream.rawValue] != 1 {
            try #require(ContinuousClock.now - joined < .seconds(5), "the listener never joined")
            try await Task.sleep(for: .milliseconds(10))
        }

        // 3 s of chunks, one every 72 ms, each due when it is handed over.
        let feeder = Task {
            let chunk = OutgoingEvent.frame(Array(#"{"event":"chunk"}"#.utf8), allocator: ByteBufferAllocator())
            for sequence in 0..<42 {
                let event = OutgoingEvent(
                    stream: stream,
                    kind: .chunk(isSync: true, sequence: UInt64(sequence), durationNanoseconds: 72_000_000),
                    frame: chunk,
                    seedFrame: nil,
                    deadline: NIODeadline.now().uptimeNanoseconds
                )
                fanout.dispatch(event)
                try await Task.sleep(for: .milliseconds(72))
            }
        }
        try await Task.sleep(for: .milliseconds(700))

        // While the loop is behind, a new connection is answered within a few fan-outs, not after the overload.
        let answered = try await blocking { () -> Duration? in
            let probe = try RawWebSocket(port: echoPort)
            let asked = ContinuousClock.now
            try probe.send([0x2A])
            let reply = (try? probe.readUntilEOF(timeout: .seconds(1.5))) ?? []
            return reply.isEmpty ? nil : ContinuousClock.now - asked
        }
        try await feeder.value
        print("[gateway] a loop behind its fan-outs answered a new connection after \(answered.map { "\($0)" } ?? "-")")
        let delay = try #require(answered, "no answer within 1.5 s while the loop was behind")
        #expect(delay < .seconds(1))
        _ = listener
        try await listenerServer.close()
        try await echoServer.close()
        try await group.shutdownGracefully()
    }
}

/// Holds its loop for `seconds` on every write, like a fan-out to thousands of clients would.
private final class LoopHoldingWrites: ChannelOutboundHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let seconds: TimeInterval

    init(seconds: TimeInterval) {
        self.seconds = seconds
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        Thread.sleep(forTimeInterval: self.seconds)
        context.write(data, promise: promise)
    }
}

/// Answers every byte it reads with one byte, then closes.
private final class EchoHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.writeAndFlush(Self.wrapOutboundOut(ByteBuffer(bytes: [0x2A])), promise: nil)
        context.close(promise: nil)
    }
}
