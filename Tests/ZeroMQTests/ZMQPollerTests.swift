import Foundation
import Testing
import WavecastTestSupport
import ZeroMQ

/// `ZMQPoller` over a real socket and a pipe, the way the encoder's reactor wakes itself.
@Suite(.onOwnThreads)
struct ZMQPollerTests {
    @Test func reportsWhichOfASocketAndAPipeIsReadable() throws {
        let context = try ZMQContext()
        let pull = try ZMQTestSupport.makeSocket(context, .pull)
        let push = try ZMQTestSupport.makeSocket(context, .push)
        try push.connect(try ZMQTestSupport.bindLoopback(pull))

        var descriptors: [Int32] = [-1, -1]
        try #require(pipe(&descriptors) == 0, "pipe() failed: errno \(errno)")
        defer {
            close(descriptors[0])
            close(descriptors[1])
        }

        var poller = ZMQPoller()
        let socketIndex = poller.add(pull)
        let pipeIndex = poller.add(fileDescriptor: descriptors[0])
        #expect(socketIndex == 0)
        #expect(pipeIndex == 1)
        #expect(try poller.poll(timeoutMilliseconds: 0) == [])
        #expect(try poller.poll(timeoutMilliseconds: 20) == [])

        var byte: UInt8 = 42
        #expect(write(descriptors[1], &byte, 1) == 1)
        #expect(try poller.poll(timeoutMilliseconds: 5000) == [pipeIndex])
        #expect(read(descriptors[0], &byte, 1) == 1)
        #expect(try poller.poll(timeoutMilliseconds: 0) == [])

        try push.send([ZMQTestSupport.bytes("wake")])
        #expect(try poller.poll(timeoutMilliseconds: 5000) == [socketIndex])
        #expect(try pull.receive() == [ZMQTestSupport.bytes("wake")])
        #expect(try poller.poll(timeoutMilliseconds: 0) == [])

        try push.send([ZMQTestSupport.bytes("both")])
        #expect(write(descriptors[1], &byte, 1) == 1)
        // The pipe is readable at once but the message crosses TCP and libzmq's I/O thread: wait for it first.
        #expect(try pull.waitReadable(timeoutMilliseconds: 5000))
        let ready = try poller.poll(timeoutMilliseconds: 0)
        #expect(ready == [socketIndex, pipeIndex])
    }

    @Test func timesOutWithNothingReadable() throws {
        let context = try ZMQContext()
        let pull = try ZMQSocket(context: context, type: .pull)
        _ = try ZMQTestSupport.bindLoopback(pull)
        var poller = ZMQPoller()
        poller.add(pull)
        let start = ContinuousClock.now
        let ready = try poller.poll(timeoutMilliseconds: 100)
        let elapsed = ContinuousClock.now - start
        #expect(ready == [])
        #expect(elapsed >= .milliseconds(90))
        #expect(elapsed < .seconds(3))
        #expect(try !pull.waitReadable(timeoutMilliseconds: 0))
    }
}
