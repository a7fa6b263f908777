import Encoder
import Foundation
import Testing
import WavecastCore
import WavecastTestSupport
import ZeroMQ

/// CURVE on the encoder's ingest and bus: who gets in, what each key may do, and what the wire shows.
struct CurveAuthTests {
    /// Key pairs written as certificate files, as `wavecast keygen` writes them, in allow-list directories.
    struct Keys {
        let directory: ScratchDirectory
        let encoder: CurveKeyPair
        /// A feeder limited to streams `alice-…`.
        let alice: CurveKeyPair
        /// A feeder with no prefix.
        let bob: CurveKeyPair
        /// A feeder allowed 2 streams at once.
        let carol: CurveKeyPair
        /// A feeder allowed 5 requests per second.
        let dave: CurveKeyPair
        /// A gateway (and a feeder, so the harness's own clients can use one key for both sockets).
        let gateway: CurveKeyPair
        /// On no allow-list.
        let mallory: CurveKeyPair

        init() throws {
            self.directory = try ScratchDirectory()
            self.encoder = try CurveKeyPair.generate()
            self.alice = try CurveKeyPair.generate()
            self.bob = try CurveKeyPair.generate()
            self.carol = try CurveKeyPair.generate()
            self.dave = try CurveKeyPair.generate()
            self.gateway = try CurveKeyPair.generate()
            self.mallory = try CurveKeyPair.generate()
            let feeders = self.feederDirectory
            _ = try CurveCertificate.write(self.alice, name: "alice", metadata: ["streams": "alice-"], into: feeders)
            _ = try CurveCertificate.write(self.bob, name: "bob", into: feeders)
            _ = try CurveCertificate.write(self.carol, name: "carol", metadata: ["max-streams": "2"], into: feeders)
            _ = try CurveCertificate.write(
                self.dave,
                name: "dave",
                metadata: ["max-requests-per-second": "5"],
                into: feeders
            )
            _ = try CurveCertificate.write(self.gateway, name: "gateway", into: feeders)
            _ = try CurveCertificate.write(self.gateway, name: "gateway", into: self.gatewayDirectory)
            // Elsewhere: a key that exists but is on no list.
            _ = try CurveCertificate.write(self.mallory, name: "mallory", into: self.directory.path("elsewhere"))
        }

        var feederDirectory: String { self.directory.path("feeders") }
        var gatewayDirectory: String { self.directory.path("gateways") }

        func keyring(bus: Bool) throws -> EncoderKeyring {
            try EncoderKeyring(
                keys: self.encoder,
                feederDirectory: self.feederDirectory,
                gatewayDirectory: bus ? self.gatewayDirectory : nil,
                logger: EncoderHarness.logger
            )
        }
    }

    @Test("an allowed key plays; an unknown key and a socket without CURVE get no reply, and nothing they sent is done")
    func onlyAllowedKeysAreHeard() async throws {
        let keys = try Keys()
        let keyring = try keys.keyring(bus: false)
        try await EncoderHarness.with(withHealthServer: true, clientKeys: keys.bob, Self.using(keyring)) { encoder in
            // Looping: still there for the status below, however long the machine takes.
            let played = try await encoder.play("bob-1", TestAudio.wav(seconds: 1), loop: true)
            #expect(played.isOK, "\(played)")
            let intruders: [IngestClient] = [try encoder.makeDealer(keys: keys.mallory), try encoder.makeDealer()]
            // A refused peer's socket may queue its requests or refuse them at once: either way none may be done.
            for intruder in intruders {
                _ = await intruder.sendIfPossible(frames: IngestClient.frames(["op": "stop", "stream": "bob-1"]))
                _ = await intruder.sendIfPossible(
                    frames: IngestClient.frames(
                        ["op": "play", "stream": "intruder"],
                        payload: TestAudio.wav(seconds: 1)
                    )
                )
                _ = await intruder.sendIfPossible(frames: IngestClient.frames(["op": "status"]))
            }
            for intruder in intruders {
                #expect(try await intruder.receive(within: 1000) == nil, "a refused peer got a reply")
            }
            let status = try await encoder.status()
            let streams: [String] = Self.streamIDs(in: status)
            #expect(streams == ["bob-1"], "the intruders' stop and play were not acted on: \(status)")
            let metrics = try await RawWebSocket.get(port: try #require(encoder.httpPort), path: "/metrics")
            let failures: Double? = RawWebSocket.metric(
                "wavecast_encoder_auth_failures_total{socket=\"ingest\"}",
                in: metrics.body
            )
            #expect((failures ?? 0) >= 1, "the unknown key's handshake is counted: \(String(describing: failures))")
        }
    }

    /// The harness change that turns CURVE on with `keyring` (`nil`: leaves it off).
    static func using(_ keyring: EncoderKeyring?) -> (inout EncoderConfiguration) -> Void {
        { $0.keyring = keyring }
    }

    /// The stream ids a `status` reply lists.
    static func streamIDs(in status: IngestResponse) -> [String] {
        (status.array("streams") ?? []).compactMap { entry in
            guard case .object(let object) = entry, case .string(let id)? = object["stream"] else { return nil }
            return id
        }
    }

    @Test("a key limited to a prefix cannot play, stop or ask about another tenant's streams")
    func prefixLimitsATenant() async throws {
        let keys = try Keys()
        let keyring = try keys.keyring(bus: false)
        try await EncoderHarness.with(clientKeys: keys.bob, Self.using(keyring)) { encoder in
            // Looping, so both streams are still there when the statuses below are asked for, however slow the machine.
            #expect(try await encoder.play("bob-1", TestAudio.wav(seconds: 1), loop: true).isOK)
            let alice = try encoder.makeDealer(keys: keys.alice)
            let wav = TestAudio.wav(seconds: 1)
            #expect(try await alice.request(["op": "play", "stream": "alice-1", "loop": true], payload: wav).isOK)
            for header: JSONObject in [
                ["op": "play", "stream": "bob-2"], ["op": "stop", "stream": "bob-1"],
                ["op": "status", "stream": "bob-1"],
                ["op": "open", "stream": "bob-3", "sample_rate": 8000, "channels": 1],
            ] {
                let reply = try await alice.request(header, payload: header["op"] == "play" ? wav : nil)
                #expect(reply.error == "forbidden_stream", "\(header): \(reply)")
                #expect(reply.string("message")?.contains("'alice-'") == true, "the message names the prefix: \(reply)")
            }
            let mine = try await alice.request(["op": "status"])
            #expect(mine.array("streams")?.count == 1, "alice sees only her stream: \(mine)")
            let all = try await encoder.status()
            #expect(all.array("streams")?.count == 2, "bob (no prefix) sees both: \(all)")
        }
    }

    @Test("quotas: a key's stream cap and request rate are refused with their own errors, and free up again")
    func quotasRefuseAtTheLimit() async throws {
        let keys = try Keys()
        let keyring = try keys.keyring(bus: false)
        try await EncoderHarness.with(clientKeys: keys.bob, Self.using(keyring)) { encoder in
            let carol = try encoder.makeDealer(keys: keys.carol)
            let wav = TestAudio.wav(seconds: 3)
            // c1 loops, so it still counts when c3 is asked for, however slow the machine.
            #expect(try await carol.request(["op": "play", "stream": "c1", "loop": true], payload: wav).isOK)
            #expect(try await carol.request(["op": "open", "stream": "c2", "sample_rate": 8000, "channels": 1]).isOK)
            let third = try await carol.request(["op": "play", "stream": "c3"], payload: wav)
            #expect(third.error == "quota_exceeded", "\(third)")
            #expect(third.string("message")?.contains("max-streams") == true, "\(third)")
            // Another key is not held back by carol's cap; more audio on a stream carol has is not a new stream.
            #expect(try await encoder.play("b1", wav).isOK)
            #expect(try await carol.request(["op": "play", "stream": "c1"], payload: wav).isOK)
            #expect(try await carol.request(["op": "stop", "stream": "c2"]).isOK)
            #expect(
                try await carol.request(["op": "play", "stream": "c3"], payload: wav).isOK,
                "a stopped stream frees its place"
            )

            let dave = try encoder.makeDealer(keys: keys.dave)
            try await dave.send(batch: Array(repeating: IngestClient.frames(["op": "status"]), count: 12))
            var codes: [String] = []
            for _ in 0..<12 {
                let reply = try await dave.receive()
                codes.append(reply.isOK ? "ok" : reply.error ?? "?")
            }
            #expect(codes.count { $0 == "ok" } >= 5, "a full bucket lets 5 through: \(codes)")
            #expect(codes.count { $0 == "rate_limited" } >= 5, "the rest are refused: \(codes)")
            try await Task.sleep(for: .milliseconds(1200))
            #expect(try await dave.request(["op": "status"]).isOK, "the bucket refills")
        }
    }

    @Test("a key taken off the allow-list is refused from its next request after a reload")
    func reloadRevokes() async throws {
        let keys = try Keys()
        let keyring = try keys.keyring(bus: false)
        try await EncoderHarness.with(clientKeys: keys.bob, Self.using(keyring)) { encoder in
            let alice = try encoder.makeDealer(keys: keys.alice)
            #expect(try await alice.request(["op": "status"]).isOK)
            try FileManager.default.removeItem(atPath: keys.feederDirectory + "/alice.key")
            let counts = try keyring.reload()
            #expect(counts.feeders == 4)
            let revoked = try await alice.request(["op": "status"])
            #expect(revoked.error == "key_revoked", "\(revoked)")
            let again = try encoder.makeDealer(keys: keys.alice)
            _ = await again.sendIfPossible(frames: IngestClient.frames(["op": "status"]))
            #expect(try await again.receive(within: 1000) == nil, "a new connection with the removed key is refused")
            // A broken file keeps the lists in force.
            _ = try keys.directory.write("feeders/broken.key", Array("curve\n    public-key = \"short\"\n".utf8))
            #expect(throws: CurveKeyError.self) { try keyring.reload() }
            #expect(try await encoder.status().isOK, "bob is still allowed")
        }
    }

    @Test("with CURVE on the bus, only allowed gateway keys receive anything, and each refusal is counted")
    func busNeedsAnAllowedKey() async throws {
        let keys = try Keys()
        let keyring = try keys.keyring(bus: true)
        // The harness's own bus tap presents the gateway key and waits for a heartbeat through it.
        try await EncoderHarness.with(withHealthServer: true, clientKeys: keys.gateway, Self.using(keyring)) {
            encoder in
            let httpPort = try #require(encoder.httpPort)
            let failures = { () async throws -> Double in
                let metrics = try await RawWebSocket.get(port: httpPort, path: "/metrics")
                return RawWebSocket.metric(#"wavecast_encoder_auth_failures_total{socket="bus"}"#, in: metrics.body)
                    ?? 0
            }
            #expect(try await failures() == 0, "the harness's allowed tap is not counted")
            let curve = { (keys: CurveKeyPair) in CurveClientKeys(keys: keys, serverPublicKey: keyring.keys.publicKey) }
            let intruders = [
                try BusTap(endpoint: encoder.publishEndpoint),
                try BusTap(context: ZMQContext(), endpoint: encoder.publishEndpoint, curve: curve(keys.mallory)),
                // A feeder's key is not a gateway's.
                try BusTap(context: ZMQContext(), endpoint: encoder.publishEndpoint, curve: curve(keys.bob)),
            ]
            #expect(try await encoder.play("on-the-bus", TestAudio.wav(seconds: 2)).isOK)
            try await encoder.bus.waitForChunks(of: "on-the-bus", count: 5, timeout: .seconds(5))
            for intruder in intruders {
                #expect(
                    intruder.messages.isEmpty,
                    "a tap without an allowed gateway key got \(intruder.messages.count) messages"
                )
                await intruder.stop()
            }
            // Mallory's and bob's taps presented keys that are not on --gateway-keys: at least one refused
            // handshake each (libzmq reconnects and tries again, so there may be more).
            var refused = try await failures()
            var looks = 0
            while refused < 2 && looks < 50 {
                try await Task.sleep(for: .milliseconds(100))
                refused = try await failures()
                looks += 1
            }
            #expect(refused >= 2, "wavecast_encoder_auth_failures_total{socket=\"bus\"} is \(refused)")
        }
    }

    @Test("with CURVE on, neither the audio nor the stream ids cross the wire in the clear; without it they do")
    func wireShowsNoAudio() async throws {
        let keys = try Keys()
        for curveOn in [true, false] {
            let keyring = try keys.keyring(bus: true)
            try await EncoderHarness.with(clientKeys: keys.gateway, Self.using(curveOn ? keyring : nil)) {
                encoder in
                let busPort = try #require(encoder.publishEndpoint.split(separator: ":").last.flatMap { Int($0) })
                let relay = try TCPRelay(upstreamPort: busPort)
                defer { relay.stop() }
                let curve = curveOn ? CurveClientKeys(keys: keys.gateway, serverPublicKey: keys.encoder.publicKey) : nil
                let context = try ZMQContext()
                let tap = try BusTap(context: context, endpoint: "tcp://127.0.0.1:\(relay.port)", curve: curve)
                try await tap.waitForHeartbeat()
                #expect(try await encoder.play("secret-stream", TestAudio.wav(seconds: 2)).isOK)
                try await tap.waitForChunks(of: "secret-stream", count: 5, timeout: .seconds(5))
                await tap.stop()
                let wire = relay.bytes
                let chunks = tap.chunks(of: "secret-stream")
                let audioSeen = chunks.contains { chunk in
                    wire.firstRange(of: chunk.payload.prefix(32)) != nil
                }
                let idSeen = wire.firstRange(of: Array("secret-stream".utf8)) != nil
                if curveOn {
                    #expect(!audioSeen && !idSeen, "CURVE: the relay saw audio \(audioSeen), stream id \(idSeen)")
                } else {
                    #expect(audioSeen && idSeen, "the check itself: without CURVE the relay sees both")
                }
            }
        }
    }
}
