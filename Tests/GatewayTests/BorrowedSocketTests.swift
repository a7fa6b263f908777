import NIOCore
import Testing

@testable import Gateway

#if canImport(Glibc)
import Glibc
#endif

/// The rules of the direct path's descriptor, without NIO: when a frame may go straight to the
/// socket, and that a socket given back is never used again.
struct BorrowedSocketTests {
    @Test func aSocketIsOfferedOnlyOnceBorrowedAndWhileNIOHoldsNoWrite() {
        var socket = BorrowedSocket()
        #expect(socket.sendableDescriptor == -1)
        #expect(!socket.isBorrowed)
        socket.borrow(7)
        #expect(socket.sendableDescriptor == 7)
        socket.writeHandedToNIO()
        socket.writeHandedToNIO()
        #expect(socket.sendableDescriptor == -1, "a frame must not overtake NIO's writes")
        #expect(socket.isBorrowed)
        socket.writeFinishedInNIO(failed: false)
        #expect(socket.sendableDescriptor == -1)
        socket.writeFinishedInNIO(failed: false)
        #expect(socket.sendableDescriptor == 7)
        #expect(socket.writesInNIO == 0)
    }

    @Test func aChannelWithoutASocketOffersNone() {
        var socket = BorrowedSocket()
        socket.borrow(nil)
        #expect(socket.sendableDescriptor == -1)
        socket.borrow(-1)
        #expect(socket.sendableDescriptor == -1)
        #expect(!socket.isBorrowed)
    }

    @Test func borrowingTheSameSocketAgainChangesNothing() {
        // `handlerAdded` on an active channel, then `channelActive`: both borrow.
        var socket = BorrowedSocket()
        socket.borrow(9)
        socket.writeHandedToNIO()
        socket.borrow(9)
        #expect(socket.writesInNIO == 1)
        #expect(socket.sendableDescriptor == -1)
    }

    @Test func aSocketGivenBackIsNeverOfferedAgain() {
        var socket = BorrowedSocket()
        socket.borrow(5)
        socket.giveBack()
        #expect(socket.sendableDescriptor == -1)
        #expect(!socket.isBorrowed)
        // The number may name another connection's socket by now.
        socket.borrow(5)
        #expect(socket.sendableDescriptor == -1)
    }

    @Test func aFailedWriteGivesTheSocketBack() {
        var socket = BorrowedSocket()
        socket.borrow(5)
        socket.writeHandedToNIO()
        socket.writeHandedToNIO()
        socket.writeFinishedInNIO(failed: true)
        socket.writeFinishedInNIO(failed: false)
        #expect(socket.writesInNIO == 0)
        #expect(socket.sendableDescriptor == -1)
        socket.borrow(5)
        #expect(socket.sendableDescriptor == -1)
    }

    #if os(Linux)
    /// A connected pair of non-blocking stream sockets, closed when `body` returns.
    static func withSocketPair<Result>(_ body: (CInt, CInt) throws -> Result) throws -> Result {
        var ends: [CInt] = [-1, -1]
        try #require(socketpair(AF_UNIX, CInt(SOCK_STREAM.rawValue), 0, &ends) == 0)
        defer {
            for end in ends { close(end) }
        }
        for end in ends {
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
        }
        var small: CInt = 4096
        setsockopt(ends[0], SOL_SOCKET, SO_SNDBUF, &small, socklen_t(MemoryLayout<CInt>.size))
        setsockopt(ends[1], SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<CInt>.size))
        return try body(ends[0], ends[1])
    }

    @Test func sendTakesWhatTheKernelTakesAndNeverBlocks() throws {
        try Self.withSocketPair { sender, receiver in
            let frame = ByteBuffer(bytes: (0..<1000).map { UInt8(truncatingIfNeeded: $0) })
            #expect(BorrowedSocket.sendWithoutBlocking(frame, to: sender) == 1000)
            var received = [UInt8](repeating: 0, count: 2000)
            #expect(read(receiver, &received, 2000) == 1000)
            #expect(Array(received[0..<1000]) == Array(frame.readableBytesView))

            // Nobody reads: the buffers fill, a send takes part of a frame, then nothing, without blocking.
            var sends: [Int] = []
            for _ in 0..<1000 {
                let sent = BorrowedSocket.sendWithoutBlocking(frame, to: sender)
                sends.append(sent)
                if sent == 0 { break }
            }
            #expect(sends.last == 0, "the kernel took \(sends.reduce(0, +)) bytes and never refused")
        }
    }

    @Test func sendToAClosedPeerReturnsNothingAndRaisesNoSignal() throws {
        try Self.withSocketPair { sender, receiver in
            // Shut down, not closed: the pair closes both ends, and a number closed twice may be another test's.
            shutdown(receiver, CInt(SHUT_RDWR))
            // Without MSG_NOSIGNAL this would raise SIGPIPE and end the process.
            #expect(BorrowedSocket.sendWithoutBlocking(ByteBuffer(bytes: [1, 2, 3]), to: sender) == 0)
        }
    }
    #endif
}
