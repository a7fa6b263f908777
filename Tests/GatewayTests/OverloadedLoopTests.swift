import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing
import WavecastCore
import WavecastTestSupport

@testable import Gateway

/// A loop whose fan-outs take longer than the chunks they send still polls its sockets: it keeps
/// accepting and answering while it is behind.
///
/// NIO runs every task that is due before it polls again, so a loop that merged its backlog in a
/// task run at once never polled while the overload lasted: new clients waited until listeners
/// left (seen at 3,000 clients with the CPU taken by other work, and at 10,000 in the benchmark).
@Suite struct OverloadedLoopTests {
    /// One listener per stream; with two streams behind, still one long task between polls.
    @Test(arguments: [1, 2])
    func aLoopThatStaysBehindStillAnswersNewConnections(streams streamCount: Int) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let feeder = NIOLockedValueBox<Task<Void, any Error>?>(nil)
        do {
            try await Self.probeWhileBehind(group: group, streamCount: streamCount, feeder: feeder)
        } catch {
            feeder.withLockedValue { $0?.cancel() }
            try? await group.shutdownGracefully()
            throw error
        }
        try await group.shutdownGracefully()
    }

    private static func probeWhileBehind(
        group: MultiThreadedEventLoopGroup,
        streamCount: Int,
        feeder: NIOLockedValueBox<Task<Void, any Error>?>
    ) async throws {
        let configuration = GatewayConfiguration(burst: .zero, eventLoopThreads: 1, instanceName: "overload")
        let fanout = try await FanoutGroup.make(group: group, configuration: configuration, metrics: GatewayMetrics())
        let streams = try (0..<streamCount).map { try StreamID("overload-\($0)") }

        // Each flush to a listener holds the loop for 100 ms: every 72 ms chunk's fan-out overruns.
        let listenerServers = try await streams.asyncMap { stream in
            try await ServerBootstrap(group: group)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let operations = channel.pipeline.syncOperations
                        // Through the pipeline, so every fan-out meets the flush that holds the loop.
                        let writer = PrebuiltFrameWriter(sendsDirectly: false)
                        try operations.addHandler(writer, position: .first)
                        try operations.addHandler(LoopHoldingFlushes(seconds: 0.1), position: .first)
                        let hub = fanout.hub(on: channel.eventLoop)
                        try operations.addHandler(
                            ListenerHandler(stream: stream, compat: false, hub: hub, writer: writer)
                        )
                    }
                }
                .bind(host: "127.0.0.1", port: 0).get()
        }
        // On the same loop: answers a byte with a byte.
        let probeServer = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(OneByteReplyHandler())
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let probePort = try #require(probeServer.localAddress?.port)

        let listeners = try listenerServers.map { try RawWebSocket(port: try #require($0.localAddress?.port)) }
        let joined = ContinuousClock.now
        while try await fanout.listenerCounts().get().values.reduce(0, +) != streamCount {
            try #require(ContinuousClock.now - joined < .seconds(5), "the listeners never joined")
            try await Task.sleep(for: .milliseconds(10))
        }

        // 3 s of chunks on every stream, one every 72 ms, each due when it is handed over.
        let chunks = Task {
            let chunk = OutgoingEvent.frame(Array(#"{"event":"chunk"}"#.utf8), allocator: ByteBufferAllocator())
            var serial: UInt64 = 0
            for sequence in 0..<42 {
                for stream in streams {
                    serial += 1
                    fanout.dispatch(
                        OutgoingEvent(
                            stream: stream,
                            kind: .chunk(isSync: true, sequence: UInt64(sequence), durationNanoseconds: 72_000_000),
                            frame: chunk,
                            seedFrame: nil,
                            deadline: NIODeadline.now().uptimeNanoseconds,
                            serial: serial
                        )
                    )
                }
                try await Task.sleep(for: .milliseconds(72))
            }
        }
        feeder.withLockedValue { $0 = chunks }
        try await Task.sleep(for: .milliseconds(700))

        // While the loop is behind, a new connection is answered within a few fan-outs, not after the overload.
        let answered = try await blocking { () -> Duration? in
            let probe = try RawWebSocket(port: probePort)
            let asked = ContinuousClock.now
            try probe.send([0x2A])
            let reply = (try? probe.readUntilEOF(timeout: .seconds(1.5))) ?? []
            return reply.isEmpty ? nil : ContinuousClock.now - asked
        }
        try await chunks.value
        print(
            "[gateway] a loop behind its fan-outs (\(streamCount) stream(s)) answered a new connection after "
                + "\(answered.map { "\($0)" } ?? "-")"
        )
        let delay = try #require(answered, "no answer within 1.5 s while the loop was behind")
        #expect(delay < .seconds(1))
        withExtendedLifetime(listeners) {}
        for server in listenerServers {
            try await server.close()
        }
        try await probeServer.close()
    }
}

extension Sequence {
    /// `map` with an async transform, one element after the other.
    fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self {
            results.append(try await transform(element))
        }
        return results
    }
}

/// Holds its loop for `seconds` on every flush, like a fan-out to thousands of clients would.
private final class LoopHoldingFlushes: ChannelOutboundHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let seconds: TimeInterval

    init(seconds: TimeInterval) {
        self.seconds = seconds
    }

    func flush(context: ChannelHandlerContext) {
        Thread.sleep(forTimeInterval: self.seconds)
        context.flush()
    }
}

/// Answers what it reads with one byte, then closes.
private final class OneByteReplyHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.writeAndFlush(Self.wrapOutboundOut(ByteBuffer(bytes: [0x2A])), promise: nil)
        context.close(promise: nil)
    }
}
