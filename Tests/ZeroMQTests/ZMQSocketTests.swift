import Testing
import WavecastTestSupport
import ZeroMQ

/// Real libzmq sockets on 127.0.0.1: the patterns Wavecast's ingest and bus use.
@Suite(.onOwnThreads)
struct ZMQSocketTests {
    @Test func routerDealerMultipartRoundTripKeepsEmptyAndLargeFrames() throws {
        let context = try ZMQContext()
        let router = try ZMQTestSupport.makeSocket(context, .router)
        let dealer = try ZMQTestSupport.makeSocket(context, .dealer)
        let endpoint = try ZMQTestSupport.bindLoopback(router)
        try dealer.connect(endpoint)

        let large = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let request: [[UInt8]] = [[], ZMQTestSupport.bytes("header"), [], large, [0], []]
        try dealer.send(request)

        let received = try #require(try router.receive(), "ROUTER got nothing within the receive timeout")
        // A DEALER adds no delimiter: the ROUTER sees its routing id, then exactly the frames sent.
        #expect(received.count == request.count + 1)
        let routingID = received[0]
        #expect(!routingID.isEmpty)
        #expect(Array(received.dropFirst()) == request)
        #expect(received[4].count == 1 << 20)

        let reply: [[UInt8]] = [large, [], ZMQTestSupport.bytes("ok"), []]
        try router.send([routingID] + reply)
        let answer = try #require(try dealer.receive(), "DEALER got no reply within the receive timeout")
        #expect(answer == reply)
    }

    @Test func routerSeesTheEmptyDelimiterOfARequestSocket() throws {
        let context = try ZMQContext()
        let router = try ZMQTestSupport.makeSocket(context, .router)
        let requester = try ZMQTestSupport.makeSocket(context, .request)
        let endpoint = try ZMQTestSupport.bindLoopback(router)
        try requester.connect(endpoint)

        try requester.send([ZMQTestSupport.bytes("{\"op\":\"status\"}"), [1, 2, 3]])
        let received = try #require(try router.receive(), "ROUTER got nothing within the receive timeout")
        #expect(received.count == 4)
        #expect(!received[0].isEmpty)
        #expect(received[1] == [], "a REQ peer's envelope ends with an empty delimiter frame")
        #expect(received[2] == ZMQTestSupport.bytes("{\"op\":\"status\"}"))
        #expect(received[3] == [1, 2, 3])

        // The reply must carry the delimiter back; the REQ socket strips it.
        try router.send([received[0], [], ZMQTestSupport.bytes("{\"ok\":true}")])
        let answer = try #require(try requester.receive(), "REQ got no reply within the receive timeout")
        #expect(answer == [ZMQTestSupport.bytes("{\"ok\":true}")])
    }

    @Test func subscriberGetsOnlyMessagesWithItsPrefix() throws {
        let context = try ZMQContext()
        let publisher = try ZMQTestSupport.makeSocket(context, .publisher)
        let subscriber = try ZMQTestSupport.makeSocket(context, .subscriber)
        let endpoint = try ZMQTestSupport.bindLoopback(publisher)
        try subscriber.subscribe(ZMQTestSupport.bytes("news"))
        try subscriber.connect(endpoint)

        // Slow joiner: messages published before the subscription reaches the publisher are dropped, so publish
        // a probe until one arrives (at most 500 tries of 10 ms), sending a message the filter must reject first.
        var first: [[UInt8]]?
        let start = ContinuousClock.now
        for _ in 0..<500 where first == nil && ContinuousClock.now - start < .seconds(10) {
            try publisher.send([ZMQTestSupport.bytes("weather"), [0]])
            try publisher.send([ZMQTestSupport.bytes("news.probe"), [1]])
            if try subscriber.waitReadable(timeoutMilliseconds: 10) {
                first = try subscriber.receive(dontWait: true)
            }
        }
        let probe = try #require(first, "the subscription never became live")
        #expect(probe == [ZMQTestSupport.bytes("news.probe"), [1]])

        // Now live: a non-matching message, then matching ones (a prefix match, an exact match).
        try publisher.send([ZMQTestSupport.bytes("weather.today"), [2]])
        try publisher.send([ZMQTestSupport.bytes("newsflash"), [3]])
        try publisher.send([ZMQTestSupport.bytes("news"), []])
        var seen: [[[UInt8]]] = []
        for _ in 0..<1000 {
            let message = try #require(try subscriber.receive(), "the last message never arrived")
            seen.append(message)
            if message[0] == ZMQTestSupport.bytes("news") { break }
        }
        #expect(seen.allSatisfy { $0[0].starts(with: ZMQTestSupport.bytes("news")) })
        let tail = seen.filter { $0[0] != ZMQTestSupport.bytes("news.probe") }
        #expect(tail == [[ZMQTestSupport.bytes("newsflash"), [3]], [ZMQTestSupport.bytes("news"), []]])
    }

    @Test func dontWaitReturnsNilWhenNothingIsWaiting() throws {
        let context = try ZMQContext()
        let router = try ZMQTestSupport.makeSocket(context, .router)
        let dealer = try ZMQTestSupport.makeSocket(context, .dealer)
        let endpoint = try ZMQTestSupport.bindLoopback(router)
        #expect(try router.receive(dontWait: true) == nil)

        try dealer.connect(endpoint)
        #expect(try router.receive(dontWait: true) == nil)
        #expect(try dealer.receive(dontWait: true) == nil)

        // After one message is read the socket is idle again.
        try dealer.send([ZMQTestSupport.bytes("one")])
        #expect(try router.waitReadable(timeoutMilliseconds: 5000))
        let message = try #require(try router.receive(dontWait: true))
        #expect(message.last == ZMQTestSupport.bytes("one"))
        #expect(try router.receive(dontWait: true) == nil)
    }

    @Test func receiveTimeoutReturnsNilAfterTheTimeout() throws {
        let context = try ZMQContext()
        let socket = try ZMQSocket(context: context, type: .pull)
        _ = try ZMQTestSupport.bindLoopback(socket)
        try socket.setReceiveTimeout(milliseconds: 150)

        let start = ContinuousClock.now
        let message = try socket.receive()
        let elapsed = ContinuousClock.now - start
        #expect(message == nil)
        #expect(elapsed >= .milliseconds(140), "returned after \(elapsed), before the 150 ms timeout")
        #expect(elapsed < .seconds(3), "took \(elapsed) for a 150 ms timeout")
    }

    @Test(arguments: [
        "tcp://127.0.0.1:notaport",
        "nosuchtransport://127.0.0.1:5555",
        "tcp://no-such-interface-wavecast:5555",
    ])
    func bindingABadEndpointThrowsAnErrorNamingIt(endpoint: String) throws {
        let context = try ZMQContext()
        let socket = try ZMQSocket(context: context, type: .router)
        let error = try #require(throws: ZMQError.self) { try socket.bind(endpoint) }
        #expect(error.description.contains(endpoint), "\(error)")
        #expect(error.operation == "bind \(endpoint)")
        #expect(!error.isContextTerminated)
        #expect(!error.isWouldBlock)
    }

    @Test func bindingAPortInUseThrowsAddressInUse() throws {
        let context = try ZMQContext()
        let first = try ZMQSocket(context: context, type: .router)
        let endpoint = try ZMQTestSupport.bindLoopback(first)
        let second = try ZMQSocket(context: context, type: .router)
        let error = try #require(throws: ZMQError.self) { try second.bind(endpoint) }
        #expect(error.description.contains(endpoint), "\(error)")
        #expect(error.description.lowercased().contains("address"), "\(error)")
    }

    @Test func disconnectingAfterAPollTakesTheMessageItBeganFirst() throws {
        // A poll reads the first frame of the XSUB's next message ahead. A plain disconnect of the connection it came
        // over, then a receive, aborts the process in libzmq (`!_more`, fq.cpp): the gateway's bus thread once did
        // that when an encoder left its name (fresh-clone run 40).
        let context = try ZMQContext()
        let subscriber = try ZMQTestSupport.makeSocket(context, .extendedSubscriber)
        let leaving = try ZMQTestSupport.makeSocket(context, .publisher)
        let staying = try ZMQTestSupport.makeSocket(context, .publisher)
        let leavingEndpoint = try ZMQTestSupport.bindLoopback(leaving)
        let stayingEndpoint = try ZMQTestSupport.bindLoopback(staying)
        try subscriber.connect(leavingEndpoint)
        try subscriber.connect(stayingEndpoint)
        try subscriber.send(frame: [1], more: false, dontWait: true)  // XSUB: subscribe to everything
        // A PUB drops what it sends before the subscription reaches it: send until one arrives, then take all.
        var arrived = false
        for attempt in 0..<200 where !arrived {
            try leaving.send([ZMQTestSupport.bytes("leaving \(attempt)"), [1, 2, 3]])
            arrived = try subscriber.waitReadable(timeoutMilliseconds: 25)
        }
        #expect(arrived, "the leaving publisher's messages never reached the subscriber")
        // Messages sent in the loop may still be on their way: a marker, in order behind them, says they are all in.
        try leaving.send([ZMQTestSupport.bytes("marker"), []])
        var markerSeen = false
        for _ in 0..<200 where !markerSeen {
            guard try subscriber.waitReadable(timeoutMilliseconds: 25) else { continue }
            while !markerSeen, let frames = try subscriber.receive(dontWait: true) {
                markerSeen = frames[0] == ZMQTestSupport.bytes("marker")
            }
        }
        #expect(markerSeen, "the marker sent after the first messages never arrived")
        for index in 0..<3 {
            try leaving.send([ZMQTestSupport.bytes("last \(index)"), [4, 5, 6]])
        }
        // The poll begins the first of them.
        #expect(try subscriber.waitReadable(timeoutMilliseconds: 5000))

        var taken: [[[UInt8]]] = []
        try subscriber.disconnect(leavingEndpoint, takingWaitingMessage: { taken.append($0) })
        #expect(taken == [[ZMQTestSupport.bytes("last 0"), [4, 5, 6]]], "the begun message, whole")
        // The rest of the leaving publisher's queue is dropped (what a disconnect does), without an abort.
        while let frames = try subscriber.receive(dontWait: true) {
            #expect(frames.count == 2)
        }
        // The other connection carries on.
        var heard = false
        for attempt in 0..<200 where !heard {
            try staying.send([ZMQTestSupport.bytes("staying \(attempt)"), [7]])
            if try subscriber.waitReadable(timeoutMilliseconds: 25), let frames = try subscriber.receive(dontWait: true)
            {
                heard = frames[0].starts(with: ZMQTestSupport.bytes("staying"))
            }
        }
        #expect(heard, "the publisher still connected was not heard after the other one left")
    }

    @Test func lastEndpointResolvesTheWildcardPort() throws {
        let context = try ZMQContext()
        let socket = try ZMQSocket(context: context, type: .publisher)
        let endpoint = try ZMQTestSupport.bindLoopback(socket)
        let port = try #require(Int(endpoint.dropFirst("tcp://127.0.0.1:".count)), "no port in \(endpoint)")
        #expect((1...65535).contains(port))
        #expect(socket.type == .publisher)
    }
}
