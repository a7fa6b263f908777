import Testing
import WavecastClient

/// A token in a listener's address is a credential: what logs and reports print hides it.
struct WebSocketURLRedactionTests {
    @Test func theTokenQueryValueIsHiddenWhenPrinted() throws {
        let url = try WebSocketURL(parsing: "ws://127.0.0.1:8080/ws/demo?compat=seed&token=eyJh.eyJz.sig")
        #expect(url.description == "ws://127.0.0.1:8080/ws/demo?compat=seed&token=…")
        #expect(url.target.hasSuffix("token=eyJh.eyJz.sig"), "the request itself still carries it")
        #expect(try WebSocketURL(parsing: "ws://h:1/ws/a").description == "ws://h:1/ws/a")
    }
}
