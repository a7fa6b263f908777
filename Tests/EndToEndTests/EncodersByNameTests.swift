import Foundation
import Testing
import WavecastTestSupport
import ZeroMQ

/// The real `wavecast-gateway` following encoders by a host name that stands for several (a Kubernetes headless
/// Service): every address is connected, encoders that appear behind the name are found, and those that leave
/// are dropped. The name lives in a hosts file only the gateway sees (a mount namespace of its own), rewritten
/// as DNS would change.
@Suite(.serialized, .onOwnThreads)
struct EncodersByNameTests {
    /// Reads `socket` until a chunk arrives; fails after `timeout`.
    static func waitForChunk(_ socket: RawWebSocket, timeout: Duration) throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard let frame = try? socket.readFrame(timeout: .milliseconds(200)) else { continue }
            if frame.opcode == 0x1, String(decoding: frame.payload, as: UTF8.self).contains(#""event":"chunk""#) {
                return
            }
        }
        throw HarnessError("no chunk within \(timeout)")
    }

    /// Waits until the gateway's `wavecast_gateway_bus_peers` is `count`; returns how long that took.
    static func waitForPeers(_ gateway: GatewayProcess, _ count: Int, since: ContinuousClock.Instant) throws -> Duration
    {
        do {
            return try pollBlocking(for: "\(count) bus peers", timeout: .seconds(5), every: .milliseconds(20)) {
                () -> Duration? in
                guard let body = try? gateway.get("/metrics").body else { return nil }
                let peers = RawWebSocket.metric("wavecast_gateway_bus_peers", in: body)
                return peers == Double(count) ? ContinuousClock.now - since : nil
            }
        } catch {
            throw HarnessError("\(error); the gateway said:\n\(gateway.output())")
        }
    }

    @Test func encodersBehindANameAreFollowedAsTheyComeAndGo() async throws {
        let port = try FreePort.tcp()
        let scratch = try ScratchDirectory()
        let hosts = scratch.path("hosts")
        func name(_ addresses: String...) throws {
            // Rewritten in place: the gateway's /etc/hosts is this file's inode, bound over the real one.
            let lines = ["127.0.0.1 localhost"] + addresses.map { "\($0) encoders" }
            try (lines.joined(separator: "\n") + "\n").write(toFile: hosts, atomically: false, encoding: .utf8)
        }
        try name("127.0.0.2")
        let encoderArguments = ["--heartbeat-ms", "100", "--encoding-threads", "1"]
        let first = try EncoderProcess(arguments: encoderArguments + ["--publish", "tcp://127.0.0.2:\(port)"])
        defer { first.kill() }
        let second = try EncoderProcess(arguments: encoderArguments + ["--publish", "tcp://127.0.0.3:\(port)"])
        defer { second.kill() }
        let gateway = try GatewayProcess(
            buses: ["tcp://encoders:\(port)"],
            arguments: ["--bus-resolve-ms", "200"],
            hostsFile: hosts
        )
        defer { gateway.kill() }
        try gateway.waitUntilReady(timeout: .seconds(15))
        _ = try Self.waitForPeers(gateway, 1, since: .now)

        let context = try ZMQContext()
        let firstIngest = try IngestClient(context: context, endpoint: first.ingest, type: .dealer)
        let secondIngest = try IngestClient(context: context, endpoint: second.ingest, type: .dealer)
        #expect(try await firstIngest.play("on-first", TestAudio.wav(seconds: 2), loop: true).isOK)
        #expect(try await secondIngest.play("on-second", TestAudio.wav(seconds: 2), loop: true).isOK)
        let onFirst = try RawWebSocket.open(port: gateway.port, path: "/ws/on-first")
        try await blocking { try Self.waitForChunk(onFirst, timeout: .seconds(5)) }

        // A second encoder appears behind the name.
        let added = ContinuousClock.now
        try name("127.0.0.2", "127.0.0.3")
        let found = try Self.waitForPeers(gateway, 2, since: added)
        let onSecond = try RawWebSocket.open(port: gateway.port, path: "/ws/on-second")
        try await blocking { try Self.waitForChunk(onSecond, timeout: .seconds(5)) }
        let heard = ContinuousClock.now - added

        // The first leaves it: dropped, the second still followed.
        let removed = ContinuousClock.now
        try name("127.0.0.3")
        let dropped = try Self.waitForPeers(gateway, 1, since: removed)
        try await blocking { try Self.waitForChunk(onSecond, timeout: .seconds(2)) }
        print(
            "encoders by name (--bus-resolve-ms 200): a new one connected after \(Int(found / .milliseconds(1))) ms, its stream "
                + "heard after \(Int(heard / .milliseconds(1))) ms; a removed one dropped after \(Int(dropped / .milliseconds(1))) ms"
        )
        let log = gateway.output()
        #expect(log.contains("tcp://127.0.0.3:\(port)"), "log:\n\(log)")
        #expect(log.contains("Left an encoder no longer behind its bus name"), "log:\n\(log)")
        await firstIngest.close()
        await secondIngest.close()
    }

    /// A name that does not resolve is said in the log, and the gateway keeps serving what it has.
    @Test func aNameThatDoesNotResolveIsReportedAndNothingElseStops() async throws {
        let encoder = try EncoderProcess(arguments: ["--heartbeat-ms", "100"])
        defer { encoder.kill() }
        let gateway = try GatewayProcess(
            buses: [encoder.bus, "tcp://no-such-encoders.invalid:5556"],
            arguments: ["--bus-resolve-ms", "200"]
        )
        defer { gateway.kill() }
        try gateway.waitUntilReady(timeout: .seconds(15))
        let warning = try gateway.child.waitForOutput("the resolver's warning") { text -> Bool? in
            text.contains("Cannot resolve a bus name") && text.contains("no-such-encoders.invalid") ? true : nil
        }
        #expect(warning)
        _ = try Self.waitForPeers(gateway, 1, since: .now)
        // Said once per failing spell, though asked again every 200 ms.
        try await Task.sleep(for: .milliseconds(1000))
        #expect(gateway.output().components(separatedBy: "Cannot resolve a bus name").count == 2)
    }

    /// A name with no address yet (the encoders' DNS records trail the gateway at start-up) is asked again every
    /// half second, not once per `--bus-resolve-ms`: the encoder is followed as soon as its name resolves.
    @Test func aNameThatResolvesLaterIsFollowedWithinASecond() async throws {
        let port = try FreePort.tcp()
        let scratch = try ScratchDirectory()
        let hosts = scratch.path("hosts")
        try "127.0.0.1 localhost\n".write(toFile: hosts, atomically: false, encoding: .utf8)
        let encoder = try EncoderProcess(arguments: ["--heartbeat-ms", "100", "--publish", "tcp://127.0.0.2:\(port)"])
        defer { encoder.kill() }
        let gateway = try GatewayProcess(
            buses: ["tcp://encoders:\(port)"],
            arguments: ["--bus-resolve-ms", "60000"],
            hostsFile: hosts
        )
        defer { gateway.kill() }
        _ = try gateway.child.waitForOutput("the resolver's warning") { text -> Bool? in
            text.contains("Cannot resolve a bus name") ? true : nil
        }
        let named = ContinuousClock.now
        try "127.0.0.1 localhost\n127.0.0.2 encoders\n".write(toFile: hosts, atomically: false, encoding: .utf8)
        let found = try Self.waitForPeers(gateway, 1, since: named)
        try gateway.waitUntilReady(timeout: .seconds(5))
        print(
            "a name that resolved late was followed after \(Int(found / .milliseconds(1))) ms (--bus-resolve-ms 60000)"
        )
        #expect(found < .seconds(2), "followed only after \(found)")
    }
}
