import Foundation
import Testing
import WavecastTestSupport
import ZeroMQ

/// A ``Mailbox`` polled the way the encoder's reactor and the gateway's bus thread poll theirs.
@Suite(.onOwnThreads)
struct MailboxTests {
    @Test func messagesArriveInOrderAndOnlyTheFirstWakesThePoller() throws {
        let mailbox = Mailbox<Int>()
        var poller = ZMQPoller()
        let index = poller.add(fileDescriptor: mailbox.wakeSignal.fileDescriptor)
        #expect(try poller.poll(timeoutMilliseconds: 0) == [])

        for message in 1...3 {
            mailbox.post(message)
        }
        #expect(try poller.poll(timeoutMilliseconds: 5000) == [index])
        // One byte in the pipe for three messages: the later posts rode on the first one's wake-up.
        var pending: Int32 = 0
        #expect(ioctl(mailbox.wakeSignal.fileDescriptor, UInt(FIONREAD), &pending) == 0)
        #expect(pending == 1)

        var taken: [Int] = []
        mailbox.take(into: &taken)
        #expect(taken == [1, 2, 3])
        #expect(try poller.poll(timeoutMilliseconds: 0) == [], "taking clears the signal")

        // Once taken, the next message wakes the poller again.
        taken.removeAll(keepingCapacity: true)
        mailbox.post(4)
        #expect(try poller.poll(timeoutMilliseconds: 5000) == [index])
        mailbox.take(into: &taken)
        #expect(taken == [4])
    }

    @Test func takingTradesStorageSoASteadyStateAllocatesNothing() {
        let mailbox = Mailbox<Int>()
        var taken: [Int] = []
        taken.reserveCapacity(64)
        let capacity = taken.capacity
        mailbox.post(1)
        mailbox.take(into: &taken)
        // The mailbox now holds the reserved storage; the next turn gets it back.
        taken.removeAll(keepingCapacity: true)
        mailbox.post(2)
        mailbox.take(into: &taken)
        #expect(taken == [2])
        #expect(taken.capacity >= capacity)
    }

    /// Posters on threads of their own, as the gateway's event loops are: on Swift's cooperative pool (2 threads on
    /// this machine) they could starve behind tests that block it (fresh-clone run 22: 37 of 8,000 in 10 s).
    @Test func everyMessageFromManyThreadsIsTakenExactlyOnce() throws {
        let mailbox = Mailbox<Int>()
        let threads = 4
        let perThread = 2000
        let posted = DispatchGroup()
        for thread in 0..<threads {
            posted.enter()
            Thread {
                for index in 0..<perThread {
                    mailbox.post(thread * perThread + index)
                }
                posted.leave()
            }.start()
        }
        var received: [Int] = []
        var taken: [Int] = []
        var poller = ZMQPoller()
        poller.add(fileDescriptor: mailbox.wakeSignal.fileDescriptor)
        let deadline = Date().addingTimeInterval(10)
        while received.count < threads * perThread, Date() < deadline {
            _ = try? poller.poll(timeoutMilliseconds: 100)
            mailbox.take(into: &taken)
            received += taken
            taken.removeAll(keepingCapacity: true)
        }
        _ = posted.wait(timeout: .now() + 10)
        #expect(received.count == threads * perThread)
        #expect(Set(received).count == threads * perThread)
        // Each thread's messages keep their order.
        for thread in 0..<threads {
            let own = received.filter { $0 / perThread == thread }
            #expect(own == own.sorted())
        }
    }
}
