import Foundation
import Testing
import WavecastCore
import WavecastTestSupport
import ZeroMQ

/// The whole authenticated path with the real executables: CURVE from feeder to encoder and from encoder to
/// gateway, a signed token from `wavecast token`, and a listener we did not write (Python's `websockets`,
/// presenting the token as a subprotocol).
@Suite(.serialized, .onOwnThreads)
struct AuthenticatedPipelineTests {
    @Test func keysAndATokenCarryAStreamEndToEndAndTheirAbsenceStopsIt() throws {
        let keys = try TestKeys()
        let scratch = try ScratchDirectory()
        let encoder = try EncoderProcess(arguments: ["--heartbeat-ms", "100"] + keys.encoderArguments)
        let gateway = try GatewayProcess(
            bus: encoder.bus,
            arguments: [
                "--jitter-ms", "20", "--curve-key-file", keys.gatewaySecretCertificate,
                "--server-key-file", keys.encoderCertificate, "--token-secret-file", keys.tokenSecretFile,
            ]
        )
        defer {
            _ = gateway.stop()
            _ = encoder.stop()
        }
        try gateway.waitUntilReady(timeout: .seconds(15))
        let wavecast = BuiltProducts.path("wavecast")

        let minted = try ExternalTool.run(
            wavecast,
            ["token", "--stream", "secure-*", "--ttl", "5m"],
            environment: ["WAVECAST_TOKEN_SECRET_FILE": keys.tokenSecretFile]
        )
        #expect(minted.status == 0, "\(minted.stderr)")
        let token = minted.stdout.trimmingCharacters(in: .whitespacesAndNewlines)

        // No token, a token for other streams: refused before the upgrade.
        let refused = try RawWebSocket.request(port: gateway.port, RawWebSocket.handshake(path: "/ws/secure-1"))
        #expect(refused.status == 401, "\(refused.body)")

        let wav = scratch.path("tone.wav")
        _ = try scratch.write("tone.wav", TestAudio.wav(seconds: 2))
        let client = try WebSocketsClient.start(
            url: "ws://127.0.0.1:\(gateway.port)/ws/secure-1",
            mode: "stream",
            subprotocols: ["wavecast", "token.\(token)"]
        )
        // A feeder without a key: no reply, and nothing played.
        let keyless = try ExternalTool.run(
            wavecast,
            ["feed", wav, "--stream", "secure-1", "--encoder", encoder.ingest, "--timeout", "2"]
        )
        #expect(keyless.status != 0 && keyless.stderr.contains("CURVE key"), "\(keyless.stderr)")
        let fed = try ExternalTool.run(
            wavecast,
            [
                "feed", wav, "--stream", "secure-1", "--encoder", encoder.ingest,
                "--curve-key-file", keys.feederSecretCertificate, "--server-key-file", keys.encoderCertificate,
            ]
        )
        #expect(fed.status == 0, "\(fed.stderr)")
        let report = try client.report()
        #expect(report["subprotocol"] as? String == "wavecast")
        let sequence = report["seq"] as? [Int] ?? []
        #expect(sequence.count >= 25 && sequence == Array(0..<sequence.count), "\(sequence)")
        #expect((report["end"] as? [String: Any])?["reason"] as? String == "finished")
    }

    /// Tokens and another JWT library, both ways, with the real executables: PyJWT verifies what `wavecast token`
    /// mints (signature, `exp`, the claims asked for), and a `wavecast-gateway` lets in a listener whose token PyJWT
    /// minted (and answers 403 for a stream it does not grant, 401 for one PyJWT signed with another secret).
    @Test func tokensAgreeWithPyJWTBothWays() throws {
        let keys = try TestKeys()
        // The secret is the file's text, trimmed, as its bytes (TokenSigner(secretText:)).
        let secretText = try String(contentsOfFile: keys.tokenSecretFile, encoding: .utf8)
        let secret = Array(secretText.trimmingCharacters(in: .whitespacesAndNewlines).utf8)

        let before = Int64(Date().timeIntervalSince1970)
        let minted = try ExternalTool.run(
            BuiltProducts.path("wavecast"),
            ["token", "--stream", "room-1", "--stream", "lobby-*", "--ttl", "15m", "--subject", "a PyJWT check"],
            environment: ["WAVECAST_TOKEN_SECRET_FILE": keys.tokenSecretFile]
        )
        #expect(minted.status == 0, "\(minted.stderr)")
        let token = minted.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        guard case .accepted(let claims) = try PyJWT.decode(token, secret: secret) else {
            Issue.record("PyJWT refused the token wavecast token minted: \(try PyJWT.decode(token, secret: secret))")
            return
        }
        #expect(claims["streams"] as? [String] == ["room-1", "lobby-*"], "\(claims)")
        #expect(claims["sub"] as? String == "a PyJWT check")
        let expires = (claims["exp"] as? NSNumber)?.int64Value ?? 0
        #expect((before + 900...before + 902).contains(expires), "exp \(expires), minted at \(before) with --ttl 15m")
        guard case .refused(let forged) = try PyJWT.decode(token, secret: Array(repeating: 0x41, count: 64)) else {
            Issue.record("PyJWT accepted the token under another secret")
            return
        }
        #expect(forged == "InvalidSignatureError")

        let encoder = try EncoderProcess()
        let gateway = try GatewayProcess(bus: encoder.bus, arguments: ["--token-secret-file", keys.tokenSecretFile])
        defer {
            _ = gateway.stop()
            _ = encoder.stop()
        }
        try gateway.waitUntilReady(timeout: .seconds(15))
        let now = Int64(Date().timeIntervalSince1970)
        let fromPyJWT = try PyJWT.encode(
            claims: #"{"streams":["room-*"],"exp":\#(now + 300),"sub":"minted by PyJWT"}"#,
            secret: secret
        )
        let otherSecret = try PyJWT.encode(
            claims: #"{"streams":["room-*"],"exp":\#(now + 300)}"#,
            secret: Array("not the gateway's secret, but 32 bytes or more".utf8)
        )
        for (path, status) in [
            ("/ws/room-7?token=\(fromPyJWT)", 101), ("/ws/lobby-1?token=\(fromPyJWT)", 403),
            ("/ws/room-7?token=\(otherSecret)", 401),
        ] {
            let response = try RawWebSocket.request(port: gateway.port, RawWebSocket.handshake(path: path))
            #expect(response.status == status, "\(path.prefix(16)): \(response.status) \(response.body)")
        }
    }

    /// Started without authentication where others can reach them, both services say so in their log.
    @Test func servicesWithoutAuthenticationOnAnOpenAddressSaySo() throws {
        let encoder = try ChildProcess(
            BuiltProducts.path("wavecast-encoder"),
            ["--ingest", "tcp://0.0.0.0:*", "--publish", "tcp://127.0.0.1:*", "--http", "off"]
        )
        defer { _ = encoder.stop(timeout: .seconds(5)) }
        let encoderWarning = try encoder.waitForOutput("the encoder's warning") { text in
            text.contains("NO AUTHENTICATION") ? true : nil
        }
        #expect(encoderWarning)
        let gateway = try ChildProcess(
            BuiltProducts.path("wavecast-gateway"),
            ["--listen", "0.0.0.0:0", "--bus", "tcp://127.0.0.1:1"]
        )
        defer { _ = gateway.stop(timeout: .seconds(5)) }
        let gatewayWarning = try gateway.waitForOutput("the gateway's warning") { text in
            text.contains("NO AUTHENTICATION") ? true : nil
        }
        #expect(gatewayWarning)
        // On loopback, and with keys, they stay quiet about it.
        let keys = try TestKeys()
        let quiet = try EncoderProcess(arguments: keys.encoderArguments)
        defer { _ = quiet.stop() }
        #expect(!quiet.output().contains("NO AUTHENTICATION"))
    }

    /// A feeder key added to `--feeder-keys` is let in after SIGHUP, without a restart; one taken out is refused.
    @Test func sighupReloadsTheAllowedKeys() throws {
        let keys = try TestKeys()
        let scratch = try ScratchDirectory()
        let encoder = try EncoderProcess(arguments: keys.encoderArguments)
        defer { _ = encoder.stop() }
        let newcomer = try CurveKeyPair.generate()
        let held = scratch.path("held")
        let certificates = try CurveCertificate.write(newcomer, name: "newcomer", into: held)
        let wavecast = BuiltProducts.path("wavecast")
        let status = [
            "feed", "--pcm-stdin", "--rate", "8000", "--stream", "reload", "--encoder", encoder.ingest,
            "--timeout", "2", "--curve-key-file", certificates.secretPath, "--server-key-file", keys.encoderCertificate,
        ]
        let before = try ExternalTool.run(wavecast, status)
        #expect(before.status != 0, "an unknown key got in: \(before.stdout)")

        try FileManager.default.copyItem(
            atPath: certificates.publicPath,
            toPath: keys.directory.path("feeders/newcomer.key")
        )
        kill(encoder.child.pid, SIGHUP)
        _ = try encoder.child.waitForOutput("the reload") { $0.contains("Reloaded the allowed keys") ? true : nil }
        let after = try ExternalTool.run(wavecast, status)
        #expect(after.status == 0, "after SIGHUP the new key is let in: \(after.stderr)")
        #expect(encoder.child.isRunning, "SIGHUP did not stop the encoder")
    }

    /// A feeder key taken off `--feeder-keys` and a real SIGHUP: the feeder's open connection is refused from its
    /// next request with `key_revoked` (libzmq checked its key at the handshake only, so the encoder looks again per
    /// request), and a new connection with that key is not let in at all.
    @Test func sighupRevokesARemovedKeyOnItsOpenConnection() async throws {
        let keys = try TestKeys()
        let encoder = try EncoderProcess(arguments: keys.encoderArguments)
        defer { _ = encoder.stop() }
        let context = try ZMQContext()
        let feeder = try IngestClient(
            context: context,
            endpoint: encoder.ingest,
            type: .dealer,
            curve: keys.client(keys.feeder)
        )
        #expect(try await feeder.request(["op": "status"]).isOK, "the feeder's key is on the list")

        try FileManager.default.removeItem(atPath: keys.directory.path("feeders/feeder.key"))
        kill(encoder.child.pid, SIGHUP)
        _ = try await blocking {
            try encoder.child.waitForOutput("the reload") { $0.contains("Reloaded the allowed keys") ? true : nil }
        }
        let revoked = try await feeder.request(["op": "status"])
        #expect(revoked.error == "key_revoked", "\(revoked)")
        #expect(revoked.string("message")?.contains("--feeder-keys") == true, "\(revoked)")

        let again = try IngestClient(
            context: context,
            endpoint: encoder.ingest,
            type: .dealer,
            curve: keys.client(keys.feeder)
        )
        _ = await again.sendIfPossible(frames: IngestClient.frames(["op": "status"]))
        #expect(try await again.receive(within: 1000) == nil, "a new connection with the removed key got a reply")
        #expect(encoder.child.isRunning, "SIGHUP did not stop the encoder")
    }

    /// A `wavecast-gateway` whose CURVE key is not on the encoder's `--gateway-keys` never gets the bus (it stays
    /// not ready), and each refused handshake is counted in `wavecast_encoder_auth_failures_total{socket="bus"}`;
    /// a gateway with an allowed key is let in and counts nothing.
    @Test func aGatewayWithAnUnknownKeyIsRefusedAndCounted() throws {
        let keys = try TestKeys()
        let metricsPort = try FreePort.tcp()
        let encoder = try EncoderProcess(
            arguments: keys.encoderArguments + ["--heartbeat-ms", "100", "--http", "127.0.0.1:\(metricsPort)"]
        )
        defer { _ = encoder.stop() }
        func busFailures() throws -> Double {
            let body = try RawWebSocket.get(port: metricsPort, path: "/metrics").body
            return RawWebSocket.metric(#"wavecast_encoder_auth_failures_total{socket="bus"}"#, in: body) ?? 0
        }
        let allowed = try GatewayProcess(
            bus: encoder.bus,
            arguments: [
                "--curve-key-file", keys.gatewaySecretCertificate, "--server-key-file", keys.encoderCertificate,
            ]
        )
        defer { _ = allowed.stop() }
        try allowed.waitUntilReady(timeout: .seconds(15))
        #expect(try busFailures() == 0, "an allowed gateway's handshake is not a failure")

        let scratch = try ScratchDirectory()
        let stranger = try CurveCertificate.write(keys.stranger, name: "stranger", into: scratch.path("stranger"))
        let refused = try GatewayProcess(
            bus: encoder.bus,
            arguments: ["--curve-key-file", stranger.secretPath, "--server-key-file", keys.encoderCertificate]
        )
        defer { _ = refused.stop() }
        let counted = try pollBlocking(for: "a refused bus handshake to be counted", timeout: .seconds(10)) {
            () -> Double? in
            let failures = try busFailures()
            return failures >= 1 ? failures : nil
        }
        #expect(counted >= 1)
        // Heartbeats every 100 ms reach the allowed gateway; the refused one hears none in 2 s.
        usleep(2_000_000)
        #expect(try refused.get("/readyz").status == 503, "a gateway with an unknown key became ready")
        #expect(try allowed.get("/readyz").status == 200)
    }
}
