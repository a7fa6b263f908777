import Foundation
import NIOCore
import NIOPosix
import Testing
import WavecastCore
import WavecastTestSupport

@testable import Gateway

/// The fan-out sends a listener's frame to its socket itself while nothing is queued for it, and
/// through the listener otherwise: a listener that falls behind leaves the direct path, and comes
/// back to it once NIO has written what it held; every client still gets every frame in order.
@Suite(.enabled(if: PrebuiltFrameWriter.sendsToSockets, "frames go straight to sockets only on Linux"))
struct DirectSendTests {
    static let chunkCount = 40

    /// A chunk's frame: its number and some padding, so a few fill a small socket buffer.
    static func chunk(_ sequence: Int, compat: Bool) -> ByteBuffer {
        let json = #"{"\#(compat ? "seed" : "chunk")":\#(sequence),"pad":""#
        let bytes = Array(json.utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: 2000) + Array(#""}"#.utf8)
        return OutgoingEvent.frame(bytes, allocator: ByteBufferAllocator())
    }

    @Test func aListenerThatFallsBehindLeavesTheDirectPathAndComesBack() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            try await Self.fallBehindAndCatchUp(group: group)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        try await group.shutdownGracefully()
    }

    private static func fallBehindAndCatchUp(group: MultiThreadedEventLoopGroup) async throws {
        let loop = group.next()
        let configuration = GatewayConfiguration(
            burst: .zero,
            maxClientLag: .seconds(30),
            eventLoopThreads: 1,
            instanceName: "direct"
        )
        let fanout = try await FanoutGroup.make(group: group, configuration: configuration, metrics: GatewayMetrics())
        let stream = try StreamID("direct")
        func server(compat: Bool) async throws -> any Channel {
            try await ServerBootstrap(group: group)
                .childChannelOption(.socketOption(.so_sndbuf), value: 4096)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let operations = channel.pipeline.syncOperations
                        let writer = PrebuiltFrameWriter()
                        try operations.addHandler(writer, position: .first)
                        let hub = fanout.hub(on: channel.eventLoop)
                        try operations.addHandler(
                            ListenerHandler(stream: stream, compat: compat, hub: hub, writer: writer)
                        )
                    }
                }
                .bind(host: "127.0.0.1", port: 0).get()
        }
        let plain = try await server(compat: false)
        let seed = try await server(compat: true)
        defer {
            plain.close(promise: nil)
            seed.close(promise: nil)
        }
        let reader = try RawWebSocket(port: try #require(plain.localAddress?.port))
        let stalled = try RawWebSocket(port: try #require(plain.localAddress?.port), receiveBufferSize: 2048)
        let seedReader = try RawWebSocket(port: try #require(seed.localAddress?.port))
        let joined = ContinuousClock.now
        while try await fanout.listenerCounts().get()[stream.rawValue] != 3 {
            try #require(ContinuousClock.now - joined < .seconds(5), "the listeners never joined")
            try await Task.sleep(for: .milliseconds(10))
        }
        let directSends = { try await loop.submit { fanout.hub(on: loop).directSendCounts()[stream] ?? 0 }.get() }
        var serial: UInt64 = 0
        func dispatch(_ kind: OutgoingEvent.Kind, frame: ByteBuffer, seedFrame: ByteBuffer?) {
            serial += 1
            fanout.dispatch(
                OutgoingEvent(
                    stream: stream,
                    kind: kind,
                    frame: frame,
                    seedFrame: seedFrame,
                    deadline: NIODeadline.now().uptimeNanoseconds,
                    serial: serial
                )
            )
        }
        func dispatchChunk(_ sequence: Int) {
            dispatch(
                .chunk(isSync: true, sequence: UInt64(sequence), durationNanoseconds: 72_000_000),
                frame: Self.chunk(sequence, compat: false),
                seedFrame: Self.chunk(sequence, compat: true)
            )
        }

        // Nobody has synced yet: every listener is sent to through its handler.
        #expect(try await directSends() == 0)
        let start = OutgoingEvent.frame(Array(#"{"event":"start"}"#.utf8), allocator: ByteBufferAllocator())
        dispatch(.start, frame: start, seedFrame: nil)
        let readers = [reader, seedReader].map { client in
            Task { try await blocking { try Self.texts(from: client, count: client === seedReader ? 40 : 41) } }
        }
        for sequence in 0..<Self.chunkCount {
            dispatchChunk(sequence)
        }
        let plainTexts = try await readers[0].value
        let seedTexts = try await readers[1].value

        // The two reading clients stayed on the direct path; the stalled one's rest waits in NIO.
        #expect(try await directSends() == 2)
        let expected = ["{\"event\":\"start\"}"] + (0..<Self.chunkCount).map { "chunk \($0)" }
        #expect(plainTexts == expected)
        #expect(seedTexts == (0..<Self.chunkCount).map { "seed \($0)" })

        // The stalled client reads at last: everything, in order; NIO drains, and it is back.
        #expect(try await blocking { try Self.texts(from: stalled, count: 41) } == expected)
        let drained = ContinuousClock.now
        while try await directSends() != 3 {
            try #require(ContinuousClock.now - drained < .seconds(5), "the caught-up listener never came back")
            try await Task.sleep(for: .milliseconds(10))
        }
        dispatchChunk(Self.chunkCount)
        for client in [reader, stalled] {
            #expect(try await blocking { try Self.texts(from: client, count: 1) } == ["chunk \(Self.chunkCount)"])
        }
        #expect(try await blocking { try Self.texts(from: seedReader, count: 1) } == ["seed \(Self.chunkCount)"])
        #expect(try await directSends() == 3)
    }

    /// Reads `count` text frames; a chunk is named by its key and number ("chunk 7", "seed 7").
    static func texts(from client: RawWebSocket, count: Int) throws -> [String] {
        try (0..<count).map { _ in
            let frame = try #require(try client.readFrame(timeout: .seconds(10)), "the connection ended")
            let text = frame.text
            guard text.contains("\"pad\"") else { return text }
            let key = text.hasPrefix(#"{"seed""#) ? "seed" : "chunk"
            let number = text.dropFirst(key.count + 4).prefix { $0.isNumber }
            return "\(key) \(number)"
        }
    }
}
