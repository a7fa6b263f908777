import Foundation
import Testing
import WavecastCore
import WavecastTestSupport
import ZeroMQ

/// The bus through `wavecast proxy`, with the real executables: encoders publish to the proxy's frontend
/// (`--bus-connect`, binding nothing of their own), gateways subscribe to its backend, and everything the bus
/// does directly it does through the proxy: streams reach listeners, a second gateway's first listener still
/// starts from the encoder's replay, mark reports travel back up, several encoders meet on one gateway, and CURVE
/// holds on both sides.
@Suite(.serialized, .onOwnThreads)
struct BusProxyTests {
    /// An encoder that publishes only to `proxy` (`--publish off`), with fast heartbeats so gateways turn ready soon.
    static func encoder(behind proxy: ProxyProcess, _ arguments: [String] = []) throws -> EncoderProcess {
        try EncoderProcess(
            arguments: ["--publish", "off", "--bus-connect", proxy.frontend, "--heartbeat-ms", "100"] + arguments
        )
    }

    /// Reads a WebSocket listener's frames until `count` chunks came (at most `timeout`).
    ///
    /// - Returns: The milliseconds from `opened` to the first chunk, and every chunk's sequence number.
    static func chunks(
        on socket: RawWebSocket,
        count: Int,
        opened: ContinuousClock.Instant,
        timeout: Duration = .seconds(10)
    ) throws -> (firstAfter: Double, sequences: [Int]) {
        let deadline = ContinuousClock.now + timeout
        var firstAfter: Double?
        var sequences: [Int] = []
        while sequences.count < count {
            guard ContinuousClock.now < deadline, let frame = try socket.readFrame(timeout: deadline - .now) else {
                throw HarnessError("\(sequences.count) of \(count) chunks within \(timeout)")
            }
            let event = try JSONSerialization.jsonObject(with: Data(frame.payload)) as? [String: Any]
            guard event?["event"] as? String == "chunk", let media = event?["media"] as? [String: Any] else { continue }
            if firstAfter == nil {
                let elapsed = (ContinuousClock.now - opened).components
                firstAfter = Double(elapsed.seconds) * 1000 + Double(elapsed.attoseconds) / 1e15
            }
            sequences.append(media["seq"] as? Int ?? -1)
        }
        return (firstAfter ?? 0, sequences)
    }

    @Test func aStreamReachesAListenerThroughTheProxyAndTheProxyStopsCleanly() throws {
        let scratch = try ScratchDirectory()
        let proxy = try ProxyProcess()
        let encoder = try Self.encoder(behind: proxy)
        let gateway = try GatewayProcess(bus: proxy.backend, arguments: ["--jitter-ms", "20"])
        defer {
            _ = gateway.stop()
            _ = encoder.stop()
            _ = proxy.stop()
        }
        #expect(encoder.bus == "off")
        // Ready means a heartbeat came: from the encoder, through the proxy.
        try gateway.waitUntilReady(timeout: .seconds(15))

        let client = try WebSocketsClient.start(url: gateway.webSocketURL("proxied"), mode: "stream")
        _ = try scratch.write("tone.wav", TestAudio.wav(seconds: 2))
        let feed = try ExternalTool.run(
            BuiltProducts.path("wavecast"),
            ["feed", scratch.path("tone.wav"), "--stream", "proxied", "--encoder", encoder.ingest]
        )
        #expect(feed.status == 0, "feed failed: \(feed.stderr)")
        let report = try client.report()
        let sequence = report["seq"] as? [Int] ?? []
        #expect(sequence.count >= 25 && sequence == Array(0..<sequence.count), "\(sequence)")
        #expect((report["events"] as? [String])?.first == "start")
        #expect((report["end"] as? [String: Any])?["reason"] as? String == "finished")

        #expect(gateway.stop() == 0)
        #expect(encoder.stop() == 0)
        // SIGTERM: it says what it forwarded, then exits 0.
        #expect(proxy.stop() == 0, "proxy log:\n\(proxy.output(waiting: true))")
        let log = proxy.output(waiting: true)
        #expect(log.contains("Proxy stopping") && log.contains("Proxy stopped"), "\(log)")
        let forwarded = log.split(separator: " ").first { $0.hasPrefix("down.messages=") }
            .flatMap { Int($0.dropFirst("down.messages=".count)) }
        #expect((forwarded ?? 0) >= sequence.count, "proxy log:\n\(log)")
    }

    /// Each gateway's subscription reaches the encoder, even the second one to the same stream (the proxy's XPUB
    /// passes every subscription): so the second gateway's first listener also starts from the encoder's replay,
    /// at once, rather than waiting out the gateway's replay wait (250 ms) for live audio.
    @Test func twoGatewaysThroughOneProxyBothStartTheirFirstListenerFromTheReplay() throws {
        let scratch = try ScratchDirectory()
        let proxy = try ProxyProcess()
        let encoder = try Self.encoder(behind: proxy)
        let first = try GatewayProcess(bus: proxy.backend)
        let second = try GatewayProcess(bus: proxy.backend)
        defer {
            _ = first.stop()
            _ = second.stop()
            _ = encoder.stop()
            _ = proxy.stop()
        }
        try first.waitUntilReady(timeout: .seconds(15))
        try second.waitUntilReady(timeout: .seconds(15))
        _ = try scratch.write("tone.wav", TestAudio.wav(seconds: 3))
        let feed = try ExternalTool.run(
            BuiltProducts.path("wavecast"),
            ["feed", scratch.path("tone.wav"), "--stream", "shared", "--loop", "--encoder", encoder.ingest]
        )
        #expect(feed.status == 0, "feed failed: \(feed.stderr)")
        // A second of audio published: the encoder's replay window (--replay-ms 1000) is full.
        usleep(1_200_000)

        for (name, gateway) in [("first", first), ("second", second)] {
            let opened = ContinuousClock.now
            let socket = try RawWebSocket.open(port: gateway.port, path: "/ws/shared")
            let heard = try Self.chunks(on: socket, count: 4, opened: opened)
            print("[measure] \(name) gateway behind the proxy: first chunk \(heard.firstAfter) ms after connecting")
            #expect(heard.sequences == Array(heard.sequences[0]..<heard.sequences[0] + 4), "\(heard.sequences)")
            let metrics = try gateway.get("/metrics").body
            let replayed = RawWebSocket.metric("wavecast_gateway_replayed_chunks_total", in: metrics) ?? 0
            #expect(replayed >= 2, "the \(name) gateway's first listener got no replay (\(replayed) chunks)")
            // The figure the replay exists for; generous, since the machine is shared (direct: 4–28 ms).
            #expect(heard.firstAfter < 1000, "the \(name) gateway's first chunk came after \(heard.firstAfter) ms")
        }
    }

    /// A listener's echo of a mark travels gateway → proxy → encoder as a mark report, and the feeder reads it.
    @Test func aMarkEchoedBehindTheProxyIsReportedPlayed() async throws {
        let proxy = try ProxyProcess()
        let encoder = try Self.encoder(behind: proxy)
        let gateway = try GatewayProcess(bus: proxy.backend)
        let context = try ZMQContext()
        let ingest = try IngestClient(context: context, endpoint: encoder.ingest, type: .dealer)
        try await withTearDown {
            try await blocking { try gateway.waitUntilReady(timeout: .seconds(15)) }
            let stream = "proxied-bot"
            try await ingest.requireOK(["op": "open", "stream": .string(stream), "sample_rate": 8000, "channels": 1])
            let listener = try await blocking { try RawWebSocket.open(port: gateway.port, path: "/ws/\(stream)") }
            let pcm = TestAudio.pcm(frames: TestAudio.frames(seconds: 1, sampleRate: 8000))
            try await ingest.requireOK(["op": "pcm", "stream": .string(stream)], payload: pcm)
            try await ingest.requireOK(["op": "mark", "stream": .string(stream), "name": "turn-1"])
            let mark = try await blocking { () throws -> String? in
                let deadline = ContinuousClock.now + .seconds(10)
                while ContinuousClock.now < deadline {
                    guard let frame = try listener.readFrame(timeout: deadline - .now) else { return nil }
                    let event = try JSONSerialization.jsonObject(with: Data(frame.payload)) as? [String: Any]
                    if event?["event"] as? String == "mark" { return event?["name"] as? String }
                }
                return nil
            }
            #expect(mark == "turn-1")
            let echoed = ContinuousClock.now
            try listener.sendFrame(opcode: 1, payload: Array(#"{"event":"mark","name":"turn-1"}"#.utf8))
            var state: JSONObject = [:]
            let deadline = ContinuousClock.now + .seconds(10)
            repeat {
                let reply = try await ingest.requireOK(["op": "marks", "stream": .string(stream)])
                if case .array(let marks)? = reply["marks"], case .object(let first)? = marks.first { state = first }
                if state["state"] == .string("played") { break }
                try await Task.sleep(for: .milliseconds(20))
            } while ContinuousClock.now < deadline
            print("[measure] echo → reported played through the proxy within \(ContinuousClock.now - echoed)")
            #expect(state["state"] == .string("played"), "\(state)")
            #expect(state["sent"] == .number(1) && state["echoed"] == .number(1), "\(state)")
        } tearDown: {
            await ingest.close()
            _ = gateway.stop()
            _ = encoder.stop()
            _ = proxy.stop()
        }
    }

    /// Two encoders behind one proxy: a gateway that knows only the proxy serves both encoders' streams whole, and
    /// lists both (their catalogues come through the proxy).
    @Test func twoEncodersBehindOneProxyReachOneGateway() throws {
        let scratch = try ScratchDirectory()
        let proxy = try ProxyProcess()
        let left = try Self.encoder(behind: proxy)
        let right = try Self.encoder(behind: proxy)
        let gateway = try GatewayProcess(bus: proxy.backend, arguments: ["--jitter-ms", "20"])
        defer {
            _ = gateway.stop()
            _ = left.stop()
            _ = right.stop()
            _ = proxy.stop()
        }
        try gateway.waitUntilReady(timeout: .seconds(15))
        _ = try scratch.write("tone.wav", TestAudio.wav(seconds: 3))
        let clients = try ["left", "right"].map { stream in
            try WebSocketsClient.start(url: gateway.webSocketURL(stream), mode: "stream")
        }
        for (stream, encoder) in [("left", left), ("right", right)] {
            let feed = try ExternalTool.run(
                BuiltProducts.path("wavecast"),
                ["feed", scratch.path("tone.wav"), "--stream", stream, "--encoder", encoder.ingest]
            )
            #expect(feed.status == 0, "feed \(stream) failed: \(feed.stderr)")
        }
        let listed = try pollBlocking(for: "both streams in /streams", timeout: .seconds(5)) { () -> Bool? in
            let body = try gateway.get("/streams").body
            return body.contains(#""stream":"left""#) && body.contains(#""stream":"right""#) ? true : nil
        }
        #expect(listed)
        for (stream, client) in zip(["left", "right"], clients) {
            let report = try client.report()
            let sequence = report["seq"] as? [Int] ?? []
            #expect(sequence.count >= 40 && sequence == Array(0..<sequence.count), "\(stream): \(sequence)")
            #expect((report["end"] as? [String: Any])?["reason"] as? String == "finished", "\(stream)")
        }
    }

    /// The proxy is the fleet's single point: when it dies and comes back on the same address, encoders and
    /// gateways reconnect by themselves, gateways subscribe again, and listeners hear a gap, not a close.
    @Test func aProxyRestartCostsListenersAGapNotTheirConnection() async throws {
        let scratch = try ScratchDirectory()
        let ports = (try FreePort.tcp(), try FreePort.tcp())
        let fixed = ["--frontend", "tcp://127.0.0.1:\(ports.0)", "--backend", "tcp://127.0.0.1:\(ports.1)"]
        let proxy = try ProxyProcess(arguments: fixed)
        let encoder = try Self.encoder(behind: proxy)
        let gateway = try GatewayProcess(bus: proxy.backend, arguments: ["--jitter-ms", "20"])
        var restarted: ProxyProcess?
        try await withTearDown {
            try await blocking { try gateway.waitUntilReady(timeout: .seconds(15)) }
            _ = try scratch.write("tone.wav", TestAudio.wav(seconds: 3))
            let feed = try await blocking {
                try ExternalTool.run(
                    BuiltProducts.path("wavecast"),
                    ["feed", scratch.path("tone.wav"), "--stream", "steady", "--loop", "--encoder", encoder.ingest]
                )
            }
            #expect(feed.status == 0, "feed failed: \(feed.stderr)")
            let socket = try await blocking { try RawWebSocket.open(port: gateway.port, path: "/ws/steady") }
            // The listener reads on a thread of its own for 7 s, stamping each chunk; meanwhile the proxy restarts.
            let reader = Task {
                try await blocking { () throws -> (chunks: [(Int, MonotonicTime)], closed: Bool) in
                    var chunks: [(Int, MonotonicTime)] = []
                    let deadline = ContinuousClock.now + .seconds(7)
                    while ContinuousClock.now < deadline {
                        guard let frame = try? socket.readFrame(timeout: deadline - .now) else { break }
                        if frame.opcode == 8 { return (chunks, true) }
                        let event = try JSONSerialization.jsonObject(with: Data(frame.payload)) as? [String: Any]
                        if let media = event?["media"] as? [String: Any], let sequence = media["seq"] as? Int {
                            chunks.append((sequence, MonotonicTime.now()))
                        }
                    }
                    return (chunks, false)
                }
            }
            try await Task.sleep(for: .seconds(2))
            let killed = MonotonicTime.now()
            proxy.kill()
            restarted = try await blocking { try ProxyProcess(arguments: fixed) }
            let back = Double(MonotonicTime.now().nanoseconds(since: killed)) / 1e6
            let heard = try await reader.value
            #expect(!heard.closed, "the listener was closed")
            let after = heard.chunks.filter { $0.1 > killed }
            // The outage a listener hears: the longest silence between two chunks, the second after the kill.
            let pairs = zip(heard.chunks, heard.chunks.dropFirst())
            let gap = pairs.filter { $1.1 > killed }.map { Double($1.1.nanoseconds(since: $0.1)) / 1e6 }.max() ?? 0
            let skipped = pairs.map { max(0, $1.0 - $0.0 - 1) }.reduce(0, +)
            print(
                "[measure] proxy killed and started again in \(back) ms; the listener's longest silence \(gap) ms, "
                    + "\(skipped) chunks skipped, \(after.count) chunks after the kill"
            )
            #expect(after.count >= 20, "\(after.count) chunks after the restart")
            #expect(gap < 3000, "the listener heard nothing for \(gap) ms")
            let sequences = after.map(\.0)
            #expect(sequences == sequences.sorted(), "out of order after the restart: \(sequences)")
        } tearDown: {
            _ = gateway.stop()
            _ = encoder.stop()
            _ = restarted?.stop()
            _ = proxy.stop()
        }
    }

    /// CURVE on both sides of the proxy: encoders and gateways are let in by key, and the encoder, a CURVE client
    /// of the proxy, is still a CURVE server for a gateway connecting to it directly. A gateway with an unknown key
    /// hears nothing, until its key is added and the proxy reloads its lists on SIGHUP.
    @Test func curveHoldsOnBothSidesOfTheProxy() throws {
        let keys = try TestKeys()
        let scratch = try ScratchDirectory()
        let proxyKeys = try CurveKeyPair.generate()
        let proxyCertificates = try CurveCertificate.write(proxyKeys, name: "proxy", into: scratch.path("proxy"))
        try FileManager.default.createDirectory(atPath: scratch.path("encoders"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: keys.encoderCertificate, toPath: scratch.path("encoders/encoder.key"))
        let stranger = try CurveCertificate.write(keys.stranger, name: "stranger", into: scratch.path("stranger"))

        let proxy = try ProxyProcess(arguments: [
            "--curve-key-file", proxyCertificates.secretPath, "--encoder-keys", scratch.path("encoders"),
            "--gateway-keys", keys.directory.path("gateways"),
        ])
        // It binds its own --publish too (a CURVE server), beside its connection to the proxy (a CURVE client).
        let encoder = try EncoderProcess(
            arguments: keys.encoderArguments + [
                "--bus-connect", proxy.frontend, "--proxy-key-file", proxyCertificates.publicPath, "--heartbeat-ms",
                "100",
            ]
        )
        let proxied = try GatewayProcess(
            bus: proxy.backend,
            arguments: [
                "--curve-key-file", keys.gatewaySecretCertificate, "--server-key-file", proxyCertificates.publicPath,
            ]
        )
        let direct = try GatewayProcess(
            bus: encoder.bus,
            arguments: [
                "--curve-key-file", keys.gatewaySecretCertificate, "--server-key-file", keys.encoderCertificate,
            ]
        )
        let refused = try GatewayProcess(
            bus: proxy.backend,
            arguments: ["--curve-key-file", stranger.secretPath, "--server-key-file", proxyCertificates.publicPath]
        )
        defer {
            _ = refused.stop()
            _ = direct.stop()
            _ = proxied.stop()
            _ = encoder.stop()
            _ = proxy.stop()
        }
        try proxied.waitUntilReady(timeout: .seconds(15))
        try direct.waitUntilReady(timeout: .seconds(15))

        let clients = try [proxied, direct].map { gateway in
            try WebSocketsClient.start(url: gateway.webSocketURL("sealed"), mode: "stream")
        }
        _ = try scratch.write("tone.wav", TestAudio.wav(seconds: 2))
        let feed = try ExternalTool.run(
            BuiltProducts.path("wavecast"),
            [
                "feed", scratch.path("tone.wav"), "--stream", "sealed", "--encoder", encoder.ingest,
                "--curve-key-file", keys.feederSecretCertificate, "--server-key-file", keys.encoderCertificate,
            ]
        )
        #expect(feed.status == 0, "feed failed: \(feed.stderr)")
        for (name, client) in zip(["through the proxy", "direct"], clients) {
            let report = try client.report()
            let sequence = report["seq"] as? [Int] ?? []
            #expect(sequence.count >= 25 && sequence == Array(0..<sequence.count), "\(name): \(sequence)")
        }
        // The stranger's gateway never heard a heartbeat, and the proxy says why.
        #expect(try refused.get("/readyz").status == 503)
        let log = try proxy.child.waitForOutput("the refusal") {
            $0.contains("Refused an unknown CURVE key") ? $0 : nil
        }
        #expect(log.contains(keys.stranger.publicKey), "\(log)")

        // Allowed after SIGHUP, without restarting the proxy. (libzmq does not retry a refused handshake, so the
        // refused gateway stays out until it restarts: a new one with the key gets in.)
        try FileManager.default.copyItem(
            atPath: stranger.publicPath,
            toPath: keys.directory.path("gateways/stranger.key")
        )
        kill(proxy.child.pid, SIGHUP)
        _ = try proxy.child.waitForOutput("the reload") { $0.contains("Reloaded the allowed keys") ? true : nil }
        let admitted = try GatewayProcess(
            bus: proxy.backend,
            arguments: ["--curve-key-file", stranger.secretPath, "--server-key-file", proxyCertificates.publicPath]
        )
        defer { _ = admitted.stop() }
        try admitted.waitUntilReady(timeout: .seconds(10))
    }
}
