import Testing
import WavecastCore
import WavecastTestSupport

extension ConformanceTests {
    /// RFC 6455 §4.2: the opening handshake, as the gateway accepts or refuses it.
    ///
    /// A refusal must be one complete HTTP response (status line, headers, a body as long as its
    /// `Content-Length`) after which the server closes the connection.
    @Suite struct HandshakeConformanceTests {
        /// A handshake the gateway must refuse.
        struct Refusal: Sendable, CustomTestStringConvertible {
            var name: String
            var request: String
            var status: Int
            var header: (String, String)?

            var testDescription: String { self.name }

            init(
                _ name: String,
                omitting: Set<String> = [],
                extra: [(String, String)] = [],
                body: String = "",
                status: Int
            ) {
                self.name = name
                self.request =
                    RawWebSocket.handshake(path: "/ws/conformance", omitting: omitting, extra: extra) + body
                self.status = status
                self.header =
                    switch status {
                    case 426 where omitting.contains("Upgrade"): ("Upgrade", "websocket")
                    case 426: ("Sec-WebSocket-Version", "13")
                    default: nil
                    }
            }

            init(_ name: String, key: String) {
                self.name = name
                self.request = RawWebSocket.handshake(path: "/ws/conformance", key: key)
                self.status = 400
            }
        }

        static let refusals: [Refusal] = [
            Refusal("no Upgrade header", omitting: ["Upgrade"], status: 426),
            Refusal("Upgrade: h2c", omitting: ["Upgrade"], extra: [("Upgrade", "h2c")], status: 426),
            Refusal(
                "version 8",
                omitting: ["Sec-WebSocket-Version"],
                extra: [("Sec-WebSocket-Version", "8")],
                status: 426
            ),
            Refusal(
                "version 14",
                omitting: ["Sec-WebSocket-Version"],
                extra: [("Sec-WebSocket-Version", "14")],
                status: 426
            ),
            Refusal("no version", omitting: ["Sec-WebSocket-Version"], status: 426),
            Refusal("no key", omitting: ["Sec-WebSocket-Key"], status: 400),
            Refusal("key not base64", key: "not base64 at all!!"),
            Refusal("key of 15 bytes", key: Base64.encode(Array(repeating: 7, count: 15))),
            Refusal("key of 17 bytes", key: Base64.encode(Array(repeating: 7, count: 17))),
            Refusal("empty key", key: ""),
            Refusal(
                "two keys",
                extra: [("Sec-WebSocket-Key", Base64.encode(Array(repeating: 1, count: 16)))],
                status: 400
            ),
            Refusal("a Content-Length body", extra: [("Content-Length", "5")], body: "hello", status: 400),
            Refusal(
                "a chunked body",
                extra: [("Transfer-Encoding", "chunked")],
                body: "5\r\nhello\r\n0\r\n\r\n",
                status: 400
            ),
        ]

        @Test(arguments: Self.refusals)
        func refusalIsACompleteResponseThenClose(_ refusal: Refusal) async throws {
            let port = try ConformanceGateway.suitePort
            let bytes = try await blocking {
                let socket = try RawWebSocket(port: port)
                try socket.send(Array(refusal.request.utf8))
                return try socket.readUntilEOF()
            }
            let response = try #require(CompleteResponse(bytes), "not one complete HTTP response: \(bytes)")
            #expect(response.status == refusal.status, "\(response.statusLine)")
            #expect(response.header("Connection")?.lowercased() == "close")
            #expect(response.header("Content-Type")?.hasPrefix("text/plain") == true)
            #expect(!response.body.isEmpty, "a refusal says why")
            #expect(response.header("Sec-WebSocket-Accept") == nil)
            if let (name, value) = refusal.header {
                #expect(response.header(name) == value, "\(name)")
            }
        }

        @Test func goodHandshakeIsAcceptedWithTheRightAcceptValue() async throws {
            // RFC 6455 §1.3's own example: the test's SHA-1 must give its answer.
            #expect(RawWebSocket.accept(for: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
            let key = Base64.encode((0..<16).map { _ in UInt8.random(in: 0...255) })
            let port = try ConformanceGateway.suitePort
            for key in ["dGhlIHNhbXBsZSBub25jZQ==", key] {
                let (socket, response) = try await Self.handshake(port: port, key: key)
                #expect(response.status == 101)
                #expect(response.header("Upgrade")?.lowercased() == "websocket")
                #expect(response.header("Connection")?.lowercased() == "upgrade")
                #expect(response.header("Sec-WebSocket-Accept") == RawWebSocket.accept(for: key))
                try await socket.expectOpen()
            }
        }

        @Test func offeredExtensionsAreNotAccepted() async throws {
            // No extension is agreed, so RSV bits stay meaningless and must be refused (see FramingConformanceTests).
            let (_, response) = try await Self.handshake(
                port: try ConformanceGateway.suitePort,
                extra: [("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits")]
            )
            #expect(response.status == 101)
            #expect(response.header("Sec-WebSocket-Extensions") == nil)
            #expect(response.header("Sec-WebSocket-Protocol") == nil)
        }

        /// Sends a standard handshake (with `key` and `extra` headers) and reads the response head.
        static func handshake(
            port: Int,
            key: String = "dGhlIHNhbXBsZSBub25jZQ==",
            extra: [(String, String)] = []
        ) async throws -> (RawWebSocket, RawWebSocket.HTTPResponse) {
            try await blocking {
                let socket = try RawWebSocket(port: port)
                try socket.send(Array(RawWebSocket.handshake(path: "/ws/conformance", key: key, extra: extra).utf8))
                return (socket, try socket.readHTTPResponse())
            }
        }
    }
}

/// An HTTP response that is the whole of what the server sent before closing: a status line,
/// headers, and exactly `Content-Length` bytes of body, nothing after.
struct CompleteResponse {
    var statusLine: String
    var status: Int
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    init?(_ bytes: [UInt8]) {
        guard let headEnd = bytes.firstRange(of: Array("\r\n\r\n".utf8)) else { return nil }
        let lines = String(decoding: bytes[..<headEnd.lowerBound], as: UTF8.self).split(
            separator: "\r\n",
            omittingEmptySubsequences: false
        )
        let parts = lines[0].split(separator: " ", maxSplits: 2)
        guard parts.count == 3, parts[0] == "HTTP/1.1", parts[1].count == 3, let status = Int(parts[1]) else {
            return nil
        }
        var headers: [(name: String, value: String)] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { return nil }
            let value = line[line.index(after: colon)...].drop { $0 == " " }
            headers.append((String(line[..<colon]), String(value)))
        }
        self.statusLine = String(lines[0])
        self.status = status
        self.headers = headers
        self.body = Array(bytes[headEnd.upperBound...])
        guard let length = self.header("Content-Length").flatMap(Int.init), length == self.body.count else {
            return nil
        }
    }

    func header(_ name: String) -> String? {
        self.headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}
