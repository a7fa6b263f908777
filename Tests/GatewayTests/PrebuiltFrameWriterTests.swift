import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing
import WavecastTestSupport

@testable import Gateway

/// The writer sends frames straight to the socket while NIO holds nothing for it, and through NIO
/// otherwise: the bytes on the wire keep the order of the calls across both paths, and a closed
/// connection's writer never touches a socket again (its number may belong to a new connection).
@Suite(.enabled(if: PrebuiltFrameWriter.sendsToSockets, "frames go straight to sockets only on Linux"))
struct PrebuiltFrameWriterTests {
    /// Frame `index`: its number, then filler derived from it, so a lost, repeated or reordered
    /// byte shows.
    static func frame(_ index: Int, size: Int = 700) -> [UInt8] {
        let number = withUnsafeBytes(of: UInt32(index).bigEndian, Array.init)
        return number + (0..<(size - 4)).map { UInt8(truncatingIfNeeded: index &* 31 &+ $0) }
    }

    /// Expects `received` to be exactly `frames`, in order; says where it first differs if not.
    static func expectSame(_ received: [UInt8], frames: Range<Int>, sourceLocation: SourceLocation = #_sourceLocation) {
        let expected = frames.flatMap { Self.frame($0) }
        guard received != expected else { return }
        let index =
            zip(received, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            ?? min(received.count, expected.count)
        let frameNumber: (Int) -> String = { offset in
            let start = offset - offset % 700
            guard start + 4 <= received.count else { return "none" }
            return String(received[start..<start + 4].reduce(0) { $0 << 8 | Int($1) })
        }
        let due = frames.lowerBound + index / 700
        Issue.record(
            Comment(
                rawValue: "\(received.count) bytes received, \(expected.count) expected; first difference at byte "
                    + "\(index): frame \(frameNumber(index)) where frame \(due) was due"
            ),
            sourceLocation: sourceLocation
        )
    }

    @Test func framesKeepTheirOrderAcrossDirectSendsAndNIOsQueue() async throws {
        try await WriterServer.with { server in
            let client = try RawWebSocket(port: server.port, receiveBufferSize: 4096)
            let writer = try await server.nextWriter()

            // A reading client with room: every frame goes straight to the socket.
            let first = try await server.write((0..<5).map { Self.frame($0) }, with: writer)
            #expect(first.direct == 5 && first.queued == 0, "\(first)")
            Self.expectSame(try await blocking { try client.readBytes(count: 5 * 700) }, frames: 0..<5)

            // A client that stops reading: the kernel's buffers fill (a partial write, then none),
            // and the rest queues in NIO behind what the kernel did not take. Then, while the loop
            // is still busy (so NIO has not written a byte of its queue), the client reads some:
            // the kernel has room again, but the next frames must still queue behind NIO's.
            let reader = Task { try await blocking { try client.readBytes(count: 30 * 700, timeout: .seconds(10)) } }
            let second = try await server.write(
                (5..<420).map { Self.frame($0) },
                pausing: .milliseconds(300),
                then: (420..<440).map { Self.frame($0) },
                with: writer
            )
            #expect(second.direct > 0 && second.queued > 0, "\(second)")
            #expect(second.direct + second.queued >= 435, "\(second)")
            #expect(second.writesInNIO > 0, "NIO holds the frames the kernel did not take: \(second)")

            // Read at last: everything, once, in order, while NIO drains its queue.
            let head = try await reader.value
            let rest = try await blocking { try client.readBytes(count: 405 * 700, timeout: .seconds(10)) }
            Self.expectSame(head + rest, frames: 5..<440)
            try await server.waitUntilNIOIsDrained(writer)

            // NIO has written all it held: frames go straight to the socket again.
            let third = try await server.write((440..<445).map { Self.frame($0) }, with: writer)
            #expect(third.direct == second.direct + 5 && third.queued == second.queued, "\(third)")
            Self.expectSame(try await blocking { try client.readBytes(count: 5 * 700) }, frames: 440..<445)
            print("[gateway] direct/queued frames across a stall: \(second.direct)/\(second.queued), then \(third)")
        }
    }

    @Test func aClosedConnectionsWriterSendsNothingToTheConnectionThatReusesItsSocket() async throws {
        try await WriterServer.with { server in
            let gone = try RawWebSocket(port: server.port)
            let goneWriter = try await server.nextWriter()
            #expect(try await server.sendsDirectly(goneWriter))
            gone.shutdownWrite()
            try await server.waitUntilClosed(goneWriter)
            // At once: anything the loop runs after the close (a fan-out) finds the socket gone.
            #expect(server.accepted.directAtClose.withLockedValue { $0 } == [false])

            // A new connection, likely on the same descriptor number as the closed one.
            let next = try RawWebSocket(port: server.port)
            let nextWriter = try await server.nextWriter()
            _ = try await server.write([Array("stale".utf8)], with: goneWriter)
            _ = try await server.write([Array("fresh".utf8)], with: nextWriter)
            #expect(try await blocking { try next.readBytes(count: 5) } == Array("fresh".utf8))
            #expect(throws: HarnessError.self, "nothing but its own bytes") {
                try next.readBytes(count: 1, timeout: .milliseconds(300))
            }
        }
    }
}

/// A server on 127.0.0.1 whose connections have only a ``PrebuiltFrameWriter``, with a small send
/// buffer so a client that stops reading fills it quickly.
private final class WriterServer: Sendable {
    struct Written: CustomStringConvertible, Sendable {
        var direct: Int
        var queued: Int
        var writesInNIO: Int
        var description: String { "direct \(self.direct), queued \(self.queued), in NIO \(self.writesInNIO)" }
    }

    typealias BoundWriter = NIOLoopBound<PrebuiltFrameWriter>

    /// The writers of accepted connections not yet taken by ``nextWriter()``.
    final class Accepted: Sendable {
        let writers = NIOLockedValueBox<[BoundWriter]>([])
        /// For each connection closed, whether its writer could still send when NIO reported the close.
        let directAtClose = NIOLockedValueBox<[Bool]>([])
    }

    let port: Int
    let channel: any Channel
    let accepted: Accepted

    init(port: Int, channel: any Channel, accepted: Accepted) {
        self.port = port
        self.channel = channel
        self.accepted = accepted
    }

    static func with(_ body: (WriterServer) async throws -> Void) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let accepted = Accepted()
        let channel = try await ServerBootstrap(group: group)
            .childChannelOption(.socketOption(.so_sndbuf), value: 4096)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let writer = PrebuiltFrameWriter()
                    try channel.pipeline.syncOperations.addHandler(writer, position: .first)
                    try channel.pipeline.syncOperations.addHandler(CloseProbe(writer: writer, accepted: accepted))
                    let bound = NIOLoopBound(writer, eventLoop: channel.eventLoop)
                    accepted.writers.withLockedValue { $0.append(bound) }
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let server = WriterServer(port: channel.localAddress!.port!, channel: channel, accepted: accepted)
        do {
            try await body(server)
        } catch {
            try? await channel.close()
            try? await group.shutdownGracefully()
            throw error
        }
        try await channel.close()
        try await group.shutdownGracefully()
    }

    /// The writer of the next connection accepted.
    func nextWriter() async throws -> BoundWriter {
        let started = ContinuousClock.now
        while true {
            if let writer = self.accepted.writers.withLockedValue({ $0.isEmpty ? nil : $0.removeFirst() }) {
                return writer
            }
            try #require(ContinuousClock.now - started < .seconds(5), "no connection accepted")
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Writes and flushes each frame on the writer's loop; returns its counts afterwards.
    func write(_ frames: [[UInt8]], with writer: BoundWriter) async throws -> Written {
        try await self.channel.eventLoop.submit {
            let writer = writer.value
            for frame in frames {
                writer.writeAndFlush(ByteBuffer(bytes: frame))
            }
            return Written(direct: writer.directWrites, queued: writer.queuedWrites, writesInNIO: writer.writesInNIO)
        }.get()
    }

    /// Writes `frames`, holds the loop for `pause`, then writes `more`, all in one task on the loop.
    func write(
        _ frames: [[UInt8]],
        pausing pause: Duration,
        then more: [[UInt8]],
        with writer: BoundWriter
    ) async throws -> Written {
        try await self.channel.eventLoop.submit {
            let writer = writer.value
            for frame in frames {
                writer.writeAndFlush(ByteBuffer(bytes: frame))
            }
            let (seconds, attoseconds) = pause.components
            Thread.sleep(forTimeInterval: Double(seconds) + Double(attoseconds) / 1e18)
            for frame in more {
                writer.writeAndFlush(ByteBuffer(bytes: frame))
            }
            return Written(direct: writer.directWrites, queued: writer.queuedWrites, writesInNIO: writer.writesInNIO)
        }.get()
    }

    func sendsDirectly(_ writer: BoundWriter) async throws -> Bool {
        try await self.channel.eventLoop.submit { writer.value.hasDescriptor }.get()
    }

    func waitUntilNIOIsDrained(_ writer: BoundWriter) async throws {
        let started = ContinuousClock.now
        while try await self.channel.eventLoop.submit({ writer.value.writesInNIO }).get() > 0 {
            try #require(ContinuousClock.now - started < .seconds(5), "NIO never wrote what it held")
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    func waitUntilClosed(_ writer: BoundWriter) async throws {
        let started = ContinuousClock.now
        while try await self.sendsDirectly(writer) {
            try #require(ContinuousClock.now - started < .seconds(5), "the server never saw the close")
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}

/// Reports, when NIO says the connection closed, whether its writer would still send directly.
private final class CloseProbe: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    let writer: PrebuiltFrameWriter
    let accepted: WriterServer.Accepted

    init(writer: PrebuiltFrameWriter, accepted: WriterServer.Accepted) {
        self.writer = writer
        self.accepted = accepted
    }

    func channelInactive(context: ChannelHandlerContext) {
        let direct = self.writer.hasDescriptor
        self.accepted.directAtClose.withLockedValue { $0.append(direct) }
        context.fireChannelInactive()
    }
}
