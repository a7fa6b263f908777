import NIOHTTP1
import Testing
import WavecastCore

@testable import Gateway

/// Every way a WebSocket handshake is accepted or refused, without a socket (RFC 6455 §4.2.1).
struct HandshakeCheckTests {
    static let key = "dGhlIHNhbXBsZSBub25jZQ=="  // RFC 6455 §1.3: base64 of 16 bytes
    static let demo = try! StreamID("demo")

    /// A valid handshake for `uri`, changed by `edit`.
    private static func head(
        _ uri: String = "/ws/demo",
        method: HTTPMethod = .GET,
        _ edit: (inout HTTPHeaders) -> Void = { _ in }
    ) -> HTTPRequestHead {
        var headers: HTTPHeaders = [
            "Host": "127.0.0.1",
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Key": Self.key,
            "Sec-WebSocket-Version": "13",
        ]
        edit(&headers)
        return HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: headers)
    }

    private static func evaluate(
        _ head: HTTPRequestHead,
        allowedOrigins: Set<String>? = nil
    ) -> HandshakeCheck.Outcome {
        HandshakeCheck.evaluate(head, defaultStream: Self.demo, allowedOrigins: allowedOrigins)
    }

    /// The status of a rejection, or nil when accepted.
    private static func status(_ outcome: HandshakeCheck.Outcome) -> HTTPResponseStatus? {
        if case .reject(let status, _, _) = outcome { return status }
        return nil
    }

    private static func rejection(
        _ outcome: HandshakeCheck.Outcome
    ) -> (status: HTTPResponseStatus, reason: String, headers: [(String, String)])? {
        if case .reject(let status, let reason, let headers) = outcome { return (status, reason, headers) }
        return nil
    }

    // MARK: Accepted

    @Test func acceptsAStreamPath() throws {
        #expect(Self.evaluate(Self.head()) == .accept(stream: Self.demo, compat: false))
        #expect(
            Self.evaluate(Self.head("/ws/Other.id_2-x")) == .accept(stream: try StreamID("Other.id_2-x"), compat: false)
        )
    }

    @Test(arguments: ["/ws", "/ws/", "/ws?compat=seed"])
    func bareWSServesTheDefaultStream(uri: String) {
        #expect(Self.evaluate(Self.head(uri)) == .accept(stream: Self.demo, compat: uri.contains("compat")))
    }

    @Test(arguments: [
        ("/ws/demo?compat=seed", true),
        ("/ws/demo?x=1&compat=seed", true),
        ("/ws/demo?compat=seed&x=1", true),
        ("/ws/demo?compat=seedy", false),
        ("/ws/demo?compat=", false),
        ("/ws/demo?", false),
        ("/ws/demo?xcompat=seed", false),
    ])
    func compatQuery(uri: String, compat: Bool) {
        #expect(Self.evaluate(Self.head(uri)) == .accept(stream: Self.demo, compat: compat))
    }

    @Test func resumeQueryNamesWhereTheClientLeftOff() {
        #expect(
            Self.evaluate(Self.head("/ws/demo?resume=7:41"))
                == .accept(stream: Self.demo, compat: false, resume: ResumePoint(epoch: 7, sequence: 41))
        )
        #expect(
            Self.evaluate(Self.head("/ws/demo?compat=seed&resume=4294967295:0"))
                == .accept(stream: Self.demo, compat: true, resume: ResumePoint(epoch: .max, sequence: 0))
        )
    }

    @Test(arguments: [
        "", "7", "7:", ":41", "0:41", "-1:41", "7:-1", "4294967296:1", "7:41:1", "a:b", "7:18446744073709551616",
    ])
    func aBadResumeIsRefusedWithWhatItMustBe(value: String) {
        let outcome = Self.evaluate(Self.head("/ws/demo?resume=\(value)"))
        guard case .reject(let status, let reason, _) = outcome else {
            Issue.record("accepted resume=\(value)")
            return
        }
        #expect(status == .badRequest)
        #expect(reason.contains("resume must be EPOCH:SEQ"), "\(reason)")
    }

    @Test func headerValuesAreCaseAndListTolerant() {
        let outcome = Self.evaluate(
            Self.head { headers in
                headers.replaceOrAdd(name: "upgrade", value: "WebSocket")
                headers.replaceOrAdd(name: "connection", value: "keep-alive, Upgrade")
                headers.replaceOrAdd(name: "sec-websocket-version", value: " 13 ")
                headers.replaceOrAdd(name: "sec-websocket-key", value: " \(Self.key) ")
            }
        )
        #expect(outcome == .accept(stream: Self.demo, compat: false))
    }

    @Test func anyOriginWhenNoneAreConfigured() {
        #expect(
            Self.evaluate(Self.head { $0.add(name: "Origin", value: "https://evil.example") })
                == .accept(stream: Self.demo, compat: false)
        )
    }

    @Test func allowedOriginIsAccepted() {
        let outcome = Self.evaluate(
            Self.head { $0.add(name: "Origin", value: "https://app.example") },
            allowedOrigins: ["https://app.example", "https://other.example"]
        )
        #expect(outcome == .accept(stream: Self.demo, compat: false))
    }

    // MARK: Refused

    @Test(arguments: ["/", "/wsx", "/ws2/demo", "/streams", "/api/ws/demo", "/WS/demo"])
    func otherPathsAre404(uri: String) throws {
        let rejection = try #require(Self.rejection(Self.evaluate(Self.head(uri))))
        #expect(rejection.status == .notFound)
        #expect(rejection.reason.contains("/ws/{stream}"))
    }

    @Test(arguments: ["/ws/has%20space", "/ws/a/b", "/ws/" + String(repeating: "x", count: 65), "/ws/caf\u{e9}"])
    func invalidStreamIdIs400(uri: String) throws {
        let rejection = try #require(Self.rejection(Self.evaluate(Self.head(uri))))
        #expect(rejection.status == .badRequest)
        #expect(rejection.reason.contains("invalid stream id"))
    }

    @Test func notAGetIs405() throws {
        let rejection = try #require(Self.rejection(Self.evaluate(Self.head(method: .POST))))
        #expect(rejection.status == .methodNotAllowed)
        #expect(rejection.headers.contains { $0 == ("Allow", "GET") })
    }

    @Test(arguments: [
        ("Transfer-Encoding", "chunked"),
        ("Content-Length", "5"),
        ("Content-Length", " 12 "),
    ])
    func aBodyIs400(name: String, value: String) throws {
        let rejection = try #require(Self.rejection(Self.evaluate(Self.head { $0.add(name: name, value: value) })))
        #expect(rejection.status == .badRequest)
        #expect(rejection.reason.contains("must not have a body"))
        #expect(rejection.reason.contains(name))
    }

    @Test func anEmptyContentLengthIsNoBody() {
        let outcome = Self.evaluate(Self.head { $0.add(name: "Content-Length", value: "0") })
        #expect(outcome == .accept(stream: Self.demo, compat: false))
    }

    @Test func missingUpgradeIs426() throws {
        let rejection = try #require(Self.rejection(Self.evaluate(Self.head { $0.remove(name: "Upgrade") })))
        #expect(rejection.status == .upgradeRequired)
        #expect(rejection.reason.contains("Upgrade: websocket"))
        #expect(rejection.headers.contains { $0 == ("Upgrade", "websocket") })
    }

    @Test func otherUpgradeIs426() {
        #expect(
            Self.status(Self.evaluate(Self.head { $0.replaceOrAdd(name: "Upgrade", value: "h2c") })) == .upgradeRequired
        )
    }

    @Test(arguments: [nil, "keep-alive", "close"])
    func connectionWithoutUpgradeIs400(connection: String?) throws {
        let outcome = Self.evaluate(
            Self.head { headers in
                headers.remove(name: "Connection")
                if let connection { headers.add(name: "Connection", value: connection) }
            }
        )
        let rejection = try #require(Self.rejection(outcome))
        #expect(rejection.status == .badRequest)
        #expect(rejection.reason == "missing 'Connection: Upgrade'")
    }

    @Test(arguments: [[], ["8"], ["12"], ["14"], ["13", "13"], ["13, 8"], [""]] as [[String]])
    func wrongVersionIs426NamingVersion13(versions: [String]) throws {
        let outcome = Self.evaluate(
            Self.head { headers in
                headers.remove(name: "Sec-WebSocket-Version")
                for version in versions { headers.add(name: "Sec-WebSocket-Version", value: version) }
            }
        )
        let rejection = try #require(Self.rejection(outcome))
        #expect(rejection.status == .upgradeRequired)
        #expect(rejection.headers.contains { $0 == ("Sec-WebSocket-Version", "13") })
        #expect(rejection.reason.contains("Sec-WebSocket-Version"))
        #expect(rejection.reason.contains(versions.isEmpty ? "(none)" : "(\(versions.joined(separator: ", ")))"))
    }

    @Test func missingKeyIs400() throws {
        let rejection = try #require(Self.rejection(Self.evaluate(Self.head { $0.remove(name: "Sec-WebSocket-Key") })))
        #expect(rejection.status == .badRequest)
        #expect(rejection.reason == "missing or repeated Sec-WebSocket-Key")
    }

    @Test func repeatedKeyIs400() {
        #expect(
            Self.status(Self.evaluate(Self.head { $0.add(name: "Sec-WebSocket-Key", value: Self.key) })) == .badRequest
        )
    }

    @Test(arguments: [
        "",
        "not base64!",
        "dGhlIHNhbXBsZSBub25jZQ",  // unpadded
        "dGhlIHNhbXBsZSBub25j",  // 15 bytes
        "dGhlIHNhbXBsZSBub25jZTEy",  // 18 bytes
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",  // 32 bytes
    ])
    func malformedKeyIs400(key: String) throws {
        let rejection = try #require(
            Self.rejection(Self.evaluate(Self.head { $0.replaceOrAdd(name: "Sec-WebSocket-Key", value: key) }))
        )
        #expect(rejection.status == .badRequest)
        #expect(rejection.reason.contains("base64 of 16 bytes"))
    }

    @Test(arguments: [nil, "https://evil.example", "https://app.example/", "HTTPS://APP.EXAMPLE"])
    func originNotAllowedIs403(origin: String?) throws {
        let outcome = Self.evaluate(
            Self.head { headers in
                if let origin { headers.add(name: "Origin", value: origin) }
            },
            allowedOrigins: ["https://app.example"]
        )
        let rejection = try #require(Self.rejection(outcome))
        #expect(rejection.status == .forbidden)
        #expect(rejection.reason.contains("is not allowed"))
    }

    @Test func pathIsCheckedBeforeHeaders() {
        // A request to another path is 404 even when it is not a WebSocket handshake at all.
        let plain = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/nope")
        #expect(Self.status(Self.evaluate(plain)) == .notFound)
        // And on /ws a plain GET is told to upgrade.
        let ws = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/ws/demo")
        #expect(Self.status(Self.evaluate(ws)) == .upgradeRequired)
    }
}

/// The per-address attempt counter, without a clock.
@Suite struct ConnectAttemptCounterTests {
    @Test func eachAddressGetsItsCapPerSecondAndANewSecondStartsAgain() {
        var counter = ConnectAttemptCounter(perSecond: 2)
        let second: UInt64 = 5_000_000_000
        var admitted: [Bool] = []
        for offset: UInt64 in 0..<3 {
            admitted.append(counter.admit("10.0.0.1", nanoseconds: second + offset))
        }
        #expect(admitted == [true, true, false])
        #expect(counter.isOver("10.0.0.1", nanoseconds: second + 4))
        let other = counter.admit("10.0.0.2", nanoseconds: second + 5)
        #expect(other, "another address has its own count")
        let nextSecond = counter.admit("10.0.0.1", nanoseconds: second + 1_000_000_000)
        #expect(nextSecond, "the next second")
        #expect(!counter.isOver("10.0.0.1", nanoseconds: second + 1_000_000_001))
    }
}
