import Testing
import WavecastBench

/// The handshake measurement's request (each token placement the gateway accepts) and its reading of the answer.
@Suite struct WebSocketUpgradeTests {
    private func upgrade(_ placement: TokenPlacement, token: String? = "a.b.c") -> WebSocketUpgrade {
        WebSocketUpgrade(host: "127.0.0.1:8080", path: "/ws/demo", token: token, placement: placement)
    }

    @Test func aRequestWithoutATokenIsAPlainUpgrade() {
        let request = self.upgrade(.none).request
        #expect(request.hasPrefix("GET /ws/demo HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUpgrade: websocket\r\n"))
        #expect(request.contains("Sec-WebSocket-Key: \(WebSocketUpgrade.key)\r\nSec-WebSocket-Version: 13\r\n"))
        #expect(request.hasSuffix("\r\n\r\n"))
        #expect(!request.contains("a.b.c"))
        #expect(self.upgrade(.query, token: nil).placement == .none)
    }

    @Test func eachPlacementCarriesTheToken() {
        #expect(self.upgrade(.query).request.hasPrefix("GET /ws/demo?token=a.b.c HTTP/1.1\r\n"))
        #expect(self.upgrade(.header).request.contains("\r\nAuthorization: Bearer a.b.c\r\n\r\n"))
        #expect(self.upgrade(.subprotocol).request.contains("\r\nSec-WebSocket-Protocol: wavecast, token.a.b.c\r\n"))
        let withQuery = WebSocketUpgrade(host: "h:1", path: "/ws/x?burst=0", token: "t", placement: .query)
        #expect(withQuery.request.hasPrefix("GET /ws/x?burst=0&token=t HTTP/1.1\r\n"))
    }

    @Test func theHeadEndsAtTheBlankLine() {
        let answer = Array("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n".utf8) + [0x81]
        #expect(WebSocketUpgrade.headEnd(in: answer) == answer.count - 1)
        #expect(WebSocketUpgrade.headEnd(in: Array("HTTP/1.1 101 Switching\r\n".utf8)) == nil)
        #expect(WebSocketUpgrade.headEnd(in: []) == nil)
    }

    @Test func theStatusIsReadFromTheFirstLine() {
        #expect(WebSocketUpgrade.status(of: Array("HTTP/1.1 101 Switching Protocols\r\n\r\n".utf8)) == 101)
        #expect(WebSocketUpgrade.status(of: Array("HTTP/1.1 401 Unauthorized\r\n".utf8)) == 401)
        #expect(WebSocketUpgrade.status(of: Array("SSH-2.0-OpenSSH\r\n".utf8)) == nil)
        #expect(WebSocketUpgrade.status(of: Array("HTTP/1.1 1O1 x\r\n".utf8)) == nil)
    }
}
