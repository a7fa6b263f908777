import Foundation
import Testing

@testable import WavecastCore

/// The exact bytes of every message the gateway sends to WebSocket clients.
struct ClientMessageTests {
    /// The golden frame header of docs/PROTOCOL.md: base64 `/+MYxA==`.
    private static let payload: [UInt8] = [0xFF, 0xE3, 0x18, 0xC4]

    private static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test func chunkHasTheDocumentedShape() throws {
        let json = ClientMessage.chunk(
            payload: Self.payload,
            isSync: true,
            sequence: 7,
            timestampMicroseconds: 504_000,
            durationMicroseconds: 72_000
        )
        #expect(
            Self.text(json)
                == #"{"event":"chunk","media":{"payload":"/+MYxA==","is_sync":true,"seq":7,"timestamp":504,"duration":72}}"#
        )
        // It is JSON that an ordinary parser reads, with the fields where the protocol puts them.
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any])
        let media = try #require(object["media"] as? [String: Any])
        #expect(object["event"] as? String == "chunk")
        #expect(Set(media.keys) == ["payload", "is_sync", "seq", "timestamp", "duration"])
        #expect(Data(base64Encoded: try #require(media["payload"] as? String)) == Data(Self.payload))
    }

    @Test func chunkWithoutSyncAndWithFractionalMilliseconds() {
        // 1152 samples at 44.1 kHz: 26.122 ms.
        let json = ClientMessage.chunk(
            payload: [0x00],
            isSync: false,
            sequence: 18_446_744_073_709_551_615,
            timestampMicroseconds: 26_122,
            durationMicroseconds: 500
        )
        #expect(
            Self.text(json)
                == #"{"event":"chunk","media":{"payload":"AA==","is_sync":false,"seq":18446744073709551615,"timestamp":26.122,"duration":0.5}}"#
        )
    }

    @Test(arguments: [
        (UInt64(0), "0"),
        (72_000, "72"),
        (26_122, "26.122"),
        (500, "0.5"),
        (100, "0.1"),
        (10, "0.01"),
        (1, "0.001"),
        (1_050, "1.05"),
        (1_005, "1.005"),
        (10_000_000, "10000"),
        (86_400_000_001, "86400000.001"),
    ])
    func millisecondsAreShortestDecimal(microseconds: UInt64, expected: String) {
        var json: [UInt8] = []
        ClientMessage.appendMilliseconds(microseconds, to: &json)
        #expect(Self.text(json) == expected)
        // And they read back as the same number.
        #expect(Double(expected) == Double(microseconds) / 1000)
    }

    @Test func seedChunkIsExactlyThePrototypeShape() throws {
        let json = ClientMessage.seedChunk(payload: Self.payload, isSync: true)
        #expect(Self.text(json) == #"{"event":"chunk","media":{"payload":"/+MYxA==","is_sync":true}}"#)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any])
        #expect(Set(object.keys) == ["event", "media"])
        #expect(Set(try #require(object["media"] as? [String: Any]).keys) == ["payload", "is_sync"])
        #expect(
            Self.text(ClientMessage.seedChunk(payload: [], isSync: false))
                == #"{"event":"chunk","media":{"payload":"","is_sync":false}}"#
        )
    }

    @Test func startCarriesTheFormat() throws {
        let json = ClientMessage.start(stream: try StreamID("demo"), sampleRate: 8000, channels: 1, bitrate: 8)
        #expect(
            Self.text(json)
                == #"{"event":"start","stream":"demo","format":{"codec":"mp3","sample_rate":8000,"channels":1,"bitrate":8}}"#
        )
        #expect((try? JSONValue.parse(json)) != nil)
    }

    @Test func endSaysWhy() throws {
        let stream = try StreamID("a.b_c-9")
        #expect(
            Self.text(ClientMessage.end(stream: stream, stopped: false))
                == #"{"event":"end","stream":"a.b_c-9","reason":"finished"}"#
        )
        #expect(
            Self.text(ClientMessage.end(stream: stream, stopped: true))
                == #"{"event":"end","stream":"a.b_c-9","reason":"stopped"}"#
        )
    }
}
