import NIOCore
import Testing
import WavecastClient
import WavecastCore

struct ClientMessageScannerTests {
    private func scan(_ text: String) -> ClientMessageScan? {
        ClientMessageScanner.scan(ByteBuffer(string: text))
    }

    private func field(_ text: String, _ range: Range<Int>?) -> String? {
        guard let range else { return nil }
        return String(decoding: Array(text.utf8)[range], as: UTF8.self)
    }

    @Test func chunkWithWholeMilliseconds() throws {
        let text =
            #"{"event":"chunk","media":{"payload":"/+MYxAAF","is_sync":true,"seq":7,"timestamp":504,"duration":72}}"#
        let scan = try #require(self.scan(text))
        #expect(scan.event == .chunk)
        #expect(scan.sequence == 7)
        #expect(scan.timestampMicroseconds == 504_000)
        #expect(scan.durationMicroseconds == 72_000)
        #expect(scan.isSync == true)
        #expect(self.field(text, scan.payload) == "/+MYxAAF")
        #expect(scan.stream == nil)
    }

    @Test func chunkWithDecimals() throws {
        let text =
            #"{"event":"chunk","media":{"payload":"AAAA","is_sync":false,"seq":18446744073709551615,"timestamp":26.122,"duration":26.1}}"#
        let scan = try #require(self.scan(text))
        #expect(scan.event == .chunk)
        #expect(scan.sequence == UInt64.max)
        #expect(scan.timestampMicroseconds == 26_122)
        #expect(scan.durationMicroseconds == 26_100)
        #expect(scan.isSync == false)
    }

    @Test func chunkBuiltByTheGateway() throws {
        let payload: [UInt8] = [0xFF, 0xE3, 0x18, 0xC4, 0x00] + (5..<72).map { UInt8($0) }
        let bytes = ClientMessage.chunk(
            payload: payload,
            isSync: true,
            sequence: 123_456,
            timestampMicroseconds: 8_888_889_001,
            durationMicroseconds: 72_000
        )
        let text = String(decoding: bytes, as: UTF8.self)
        let scan = try #require(self.scan(text))
        #expect(scan.sequence == 123_456)
        #expect(scan.timestampMicroseconds == 8_888_889_001)
        #expect(scan.durationMicroseconds == 72_000)
        #expect(self.field(text, scan.payload).flatMap { Base64.decode($0) } == payload)
    }

    @Test func seedShape() throws {
        let text = #"{"event":"chunk","media":{"payload":"/+MYxA==","is_sync":true}}"#
        let scan = try #require(self.scan(text))
        #expect(scan.event == .chunk)
        #expect(scan.isSync == true)
        #expect(scan.sequence == nil)
        #expect(scan.timestampMicroseconds == nil)
        #expect(self.field(text, scan.payload) == "/+MYxA==")
    }

    @Test func start() throws {
        let text =
            #"{"event":"start","stream":"demo","format":{"codec":"mp3","sample_rate":8000,"channels":1,"bitrate":8}}"#
        let scan = try #require(self.scan(text))
        #expect(scan.event == .start)
        #expect(self.field(text, scan.stream) == "demo")
        #expect(scan.sequence == nil)
        #expect(scan.payload == nil)
    }

    @Test func end() throws {
        let text = #"{"event":"end","stream":"demo-2","reason":"stopped"}"#
        let scan = try #require(self.scan(text))
        #expect(scan.event == .end)
        #expect(self.field(text, scan.stream) == "demo-2")
        #expect(self.field(text, scan.reason) == "stopped")
    }

    @Test func keysInAnyOrderWithSpacesAndEscapes() throws {
        let text = #" { "media" : { "seq" : 3 , "note":"a \"seq\":9 here", "timestamp" : 1.5 } , "event" : "chunk" } "#
        let scan = try #require(self.scan(text))
        #expect(scan.event == .chunk)
        #expect(scan.sequence == 3)
        #expect(scan.timestampMicroseconds == 1_500)
    }

    @Test func unknownEvent() throws {
        #expect(self.scan(#"{"event":"chunky"}"#)?.event == .other)
        #expect(self.scan("{}")?.event == .other)
    }

    @Test(arguments: [
        "",
        "not json",
        "[1,2]",
        #"{"event":"chunk"#,
        #"{"event":"chunk","media":{"seq":"7"}}"#,
        #"{"event":"chunk","media":{"seq":-1}}"#,
        #"{"event":"chunk","media":{"is_sync":1}}"#,
        #"{"event":"chunk","media":{"timestamp":.5}}"#,
        #"{"event":"chunk","media":{"timestamp":5.}}"#,
        #"{"event":chunk}"#,
        #"{"event":"chunk","media":{"seq":99999999999999999999}}"#,
    ])
    func malformed(_ text: String) {
        #expect(self.scan(text) == nil)
    }
}
