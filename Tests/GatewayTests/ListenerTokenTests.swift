import Foundation
import Gateway
import Testing
import WavecastCore
import WavecastTestSupport
import WavecastTokens

extension GatewayEndToEndTests {
    /// Signed listener tokens on real sockets: each way a handshake's token can be wrong gets its own answer
    /// before the upgrade, in each place a token may be carried; a good one listens; one that runs out mid-session closes with 4401 unless renewed.
    @Suite struct ListenerTokenTests {
        static let signer = try! TokenSigner(secret: Array("a gateway token secret, 32 bytes or more".utf8))
        static func withTokens(_ configuration: inout GatewayConfiguration) { configuration.tokens = Self.signer }

        static var now: Int64 { Int64(Date().timeIntervalSince1970) }

        static func token(_ streams: [String], expiresIn seconds: Int64 = 600, notBefore: Int64? = nil) -> String {
            Self.signer.sign(ListenerToken(streams: streams, expires: Self.now + seconds, notBefore: notBefore))
        }

        /// Where a handshake carries its token (docs/PROTOCOL.md, "Tokens"); `nil` is a handshake without one.
        enum Carrier: String, CaseIterable {
            /// `?token=JWT` in the URL.
            case query
            /// The subprotocols `wavecast, token.JWT`, as browsers send it.
            case subprotocol
            /// `Authorization: Bearer JWT`.
            case bearer

            /// The handshake of `/ws/{stream}` with `token` in this place.
            func handshake(stream: String, token: String?) -> String {
                switch self {
                case .query:
                    return RawWebSocket.handshake(path: "/ws/\(stream)" + (token.map { "?token=\($0)" } ?? ""))
                case .subprotocol:
                    // Without a token a browser still offers `wavecast`: only the token entry is missing.
                    let offered = token.map { "wavecast, token.\($0)" } ?? "wavecast"
                    return RawWebSocket.handshake(path: "/ws/\(stream)", extra: [("Sec-WebSocket-Protocol", offered)])
                case .bearer:
                    // Without a token, credentials of another scheme: they are not a token.
                    let authorization = token.map { "Bearer \($0)" } ?? "Basic d2F2ZWNhc3Q6c2VjcmV0"
                    return RawWebSocket.handshake(path: "/ws/\(stream)", extra: [("Authorization", authorization)])
                }
            }
        }

        @Test func everyBadTokenIsRefusedBeforeTheUpgradeWithItsOwnAnswerWhereverItIsCarried() async throws {
            try await GatewayFixture.with(gateway: Self.withTokens) { fixture in
                let port = fixture.gateway.port
                let other = try TokenSigner(secret: Array("somebody else's secret, also 32+ bytes".utf8))
                let none =
                    "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0."
                    + Base64.encode(Array(#"{"streams":["demo"],"exp":9999999999}"#.utf8)).filter { $0 != "=" } + "."
                let cases: [(name: String, token: String?, status: Int, reason: String)] = [
                    ("missing", nil, 401, "a token is required"),
                    ("malformed", "abc", 401, "malformed token"),
                    (
                        "another secret", other.sign(ListenerToken(streams: ["demo"], expires: Self.now + 60)),
                        401, "signature"
                    ),
                    ("alg none", none, 401, "only HS256"),
                    ("expired", Self.token(["demo"], expiresIn: -5), 401, "expired"),
                    ("not yet valid", Self.token(["demo"], notBefore: Self.now + 300), 401, "not valid before"),
                    ("another stream", Self.token(["other", "call-*"]), 403, "does not grant"),
                ]
                for carrier in Carrier.allCases {
                    for (name, token, status, reason) in cases {
                        let handshake = carrier.handshake(stream: "demo", token: token)
                        let response = try await blocking { try RawWebSocket.request(port: port, handshake) }
                        let label = "\(name) by \(carrier.rawValue)"
                        #expect(response.status == status, "\(label): \(response.status) \(response.body)")
                        #expect(response.body.contains(reason), "\(label): \(response.body)")
                        if status == 401 {
                            #expect(response.header("WWW-Authenticate")?.hasPrefix("Bearer") == true, "\(label)")
                        }
                    }
                }
                // Each refusal was counted before any upgrade: six 401s per carrier, one 403.
                #expect(
                    try await fixture.gateway.metric(#"wavecast_gateway_rejected_handshakes_total{status="401"}"#)
                        == Double(6 * Carrier.allCases.count)
                )
                #expect(
                    try await fixture.gateway.metric(#"wavecast_gateway_rejected_handshakes_total{status="403"}"#)
                        == Double(Carrier.allCases.count)
                )
            }
        }

        @Test func aGoodTokenListensFromTheQueryOrTheSubprotocol() async throws {
            try await GatewayFixture.with(gateway: Self.withTokens) { fixture in
                try await fixture.ingest.play("tenant-a.1", TestAudio.wav(seconds: 3))
                let byQuery = try await fixture.gateway.listen(
                    "tenant-a.1",
                    query: "?token=\(Self.token(["tenant-a.*"]))"
                )
                _ = try await byQuery.wait(for: "chunks", timeout: .seconds(5)) { $0.contains { $0.event == "chunk" } }
                await byQuery.stop()

                let port = fixture.gateway.port
                let response = try await blocking {
                    let socket = try RawWebSocket(port: port)
                    let handshake = RawWebSocket.handshake(
                        path: "/ws/tenant-a.1",
                        extra: [("Sec-WebSocket-Protocol", "wavecast, token.\(Self.token(["tenant-a.1"]))")]
                    )
                    try socket.send(Array(handshake.utf8))
                    return try socket.readHTTPResponse()
                }
                #expect(response.status == 101, "\(response.body)")
                #expect(response.header("Sec-WebSocket-Protocol") == "wavecast", "the token entry is not echoed")
            }
        }

        @Test func aTokenRunningOutClosesWith4401UnlessRenewed() async throws {
            try await GatewayFixture.with(gateway: Self.withTokens) { fixture in
                try await fixture.ingest.play("long", TestAudio.wav(seconds: 8))
                // Expires in 2 s; the gateway looks once a second.
                let short = try await fixture.gateway.listen(
                    "long",
                    query: "?token=\(Self.token(["long"], expiresIn: 2))"
                )
                let renewed = try await fixture.gateway.listen(
                    "long",
                    query: "?token=\(Self.token(["long"], expiresIn: 2))"
                )
                try renewed.sendText(#"{"event":"token","token":"\#(Self.token(["long"], expiresIn: 60))"}"#)
                let wrong = try await fixture.gateway.listen("long", query: "?token=\(Self.token(["long"]))")
                try wrong.sendText(#"{"event":"token","token":"\#(Self.token(["other"]))"}"#)

                let closed = try await short.waitUntilClosed(timeout: .seconds(6))
                #expect(closed?.closeCode == 4401, "\(String(describing: closed?.closeReason))")
                let refused = try await wrong.waitUntilClosed(timeout: .seconds(3))
                #expect(refused?.closeCode == 4403, "\(String(describing: refused?.closeReason))")
                let events = try await renewed.wait(for: "the renewal's answer", timeout: .seconds(3)) {
                    $0.contains { $0.event == "token" }
                }
                #expect(events.contains { $0.event == "token" })
                // Still listening after the first token's time.
                let before = renewed.events.count { $0.event == "chunk" }
                try await Task.sleep(for: .milliseconds(1500))
                #expect(renewed.closeFrame == nil)
                #expect(renewed.events.count { $0.event == "chunk" } > before)
                #expect(try await fixture.gateway.metric("wavecast_gateway_expired_token_closes_total") == 1)
                await renewed.stop()
            }
        }

        @Test func publicStreamsNeedNoTokenAndStreamsListsOnlyWhatARequestMayHear() async throws {
            let configure: (inout GatewayConfiguration) -> Void = {
                $0.tokens = Self.signer
                $0.publicStreams = ["open-*"]
            }
            try await GatewayFixture.with(gateway: configure) { fixture in
                for stream in ["open-1", "closed-1", "closed-2"] {
                    try await fixture.ingest.play(stream, TestAudio.wav(seconds: 4))
                }
                let port = fixture.gateway.port
                let open = try await blocking {
                    try RawWebSocket.request(port: port, RawWebSocket.handshake(path: "/ws/open-1"))
                }
                #expect(open.status == 101)
                let closed = try await blocking {
                    try RawWebSocket.request(port: port, RawWebSocket.handshake(path: "/ws/closed-1"))
                }
                #expect(closed.status == 401)
                // The catalogue reaches the gateway within a second.
                try await Task.sleep(for: .milliseconds(1200))
                let anonymous = try await fixture.gateway.get("/streams").body
                #expect(anonymous.contains("open-1") && !anonymous.contains("closed-"), "\(anonymous)")
                let token = Self.token(["closed-1"])
                let granted = try await blocking {
                    try RawWebSocket.request(
                        port: port,
                        "GET /streams HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\nConnection: close\r\n\r\n"
                    )
                }
                #expect(granted.status == 200)
                #expect(granted.body.contains("closed-1") && !granted.body.contains("closed-2"), "\(granted.body)")
                let forged = try await fixture.gateway.get("/streams?token=x.y.z")
                #expect(forged.status == 401, "\(forged.body)")
            }
        }

        @Test func connectionAttemptsPerAddressAreCapped() async throws {
            let capped: (inout GatewayConfiguration) -> Void = { $0.maxConnectsPerSecond = 3 }
            try await GatewayFixture.with(gateway: capped) { fixture in
                let port = fixture.gateway.port
                let responses = try await blocking {
                    try (0..<10).map { _ in
                        try RawWebSocket.request(port: port, RawWebSocket.handshake(path: "/ws/demo"))
                    }
                }
                let statuses = responses.map(\.status)
                // Ten attempts take well under a second; at worst they straddle two seconds (3 each).
                #expect(statuses.count { $0 == 101 } <= 6, "\(statuses)")
                #expect(statuses.count { $0 == 429 } >= 4, "\(statuses)")
                let refused = try #require(responses.first { $0.status == 429 })
                #expect(refused.header("Retry-After") == "1")
                #expect(refused.body.contains("--max-connects-per-second"), "\(refused.body)")
                try await Task.sleep(for: .milliseconds(1100))
                let later = try await blocking {
                    try RawWebSocket.request(port: port, RawWebSocket.handshake(path: "/ws/demo"))
                }
                #expect(later.status == 101, "a new second admits again: \(later.status)")
            }
        }
    }
}
