import Testing
import WavecastClient

struct WebSocketURLTests {
    @Test func parsesHostPortAndTarget() throws {
        let url = try WebSocketURL(parsing: "ws://127.0.0.1:18080/ws/demo?compat=seed")
        #expect(url.host == "127.0.0.1")
        #expect(url.port == 18080)
        #expect(url.target == "/ws/demo?compat=seed")
        #expect(url.hostHeader == "127.0.0.1:18080")
    }

    @Test func defaultsPortAndPath() throws {
        let url = try WebSocketURL(parsing: "ws://gateway")
        #expect(url.port == 80)
        #expect(url.target == "/")
        #expect(url.description == "ws://gateway/")
    }

    @Test func ipv6() throws {
        let url = try WebSocketURL(parsing: "ws://[::1]:9000/ws")
        #expect(url.host == "::1")
        #expect(url.port == 9000)
        #expect(url.hostHeader == "[::1]:9000")
    }

    @Test(arguments: ["http://host/ws", "wss://host/ws", "ws://", "ws://host:0/", "ws://host:x/", "ws://[::1/"])
    func rejects(_ text: String) {
        #expect(throws: WavecastClientError.invalidURL(text)) { try WebSocketURL(parsing: text) }
    }
}
