import Testing
import WavecastCore
import WavecastTestSupport

/// DEALER peers (no delimiter) and REQ peers (empty delimiter) both get their replies, with `id` echoed.
struct IngestPeerTests {
    @Test("DEALER and REQ peers both get replies, and the id field is echoed", arguments: [false, true])
    func peersGetRepliesWithTheirID(viaREQ: Bool) async throws {
        try await EncoderHarness.with { encoder in
            let client = viaREQ ? encoder.req : encoder.dealer
            let ids: [JSONValue] = ["feed-1", 42, .object(["n": 1, "who": "feeder"]), .null]
            for id in ids {
                let reply = try await client.request(["op": "status", "id": id])
                #expect(reply.isOK, "\(reply)")
                #expect(reply.string("op") == "status")
                // JSON object members have no order; the echo need not keep it.
                #expect(reply["id"].map { sameJSON($0, id) } == true, "id \(id.serialized) echoed: \(reply)")
                #expect(reply.array("streams") == [])
                let format = reply.object("format")
                #expect(format?["sample_rate"]?.integerValue == 8000)
                #expect(format?["bitrate"]?.integerValue == 8)
                #expect(format?["frames_per_chunk"]?.integerValue == 1)
            }
            // Errors echo the id too, when the header is a JSON object.
            let refused = try await client.request(["op": "dance", "id": "x-7"])
            #expect(refused.error == "unknown_op")
            #expect(refused["id"] == "x-7", "\(refused)")
            let unparsable = try await client.request(frames: [Array("{oops".utf8)])
            #expect(unparsable.error == "invalid_json")
            #expect(unparsable["id"] == nil)

            // A whole live stream and a file through this peer type.
            let stream = viaREQ ? "via-req" : "via-dealer"
            let opened = try await client.request([
                "op": "open", "stream": .string(stream), "sample_rate": 16000, "channels": 2, "id": 1,
            ])
            #expect(opened.isOK && opened["id"] == 1, "\(opened)")
            let pcm = try await client.request(
                ["op": "pcm", "stream": .string(stream), "id": 2],
                payload: TestAudio.pcm(frames: 4800, sampleRate: 16000, channels: 2)
            )
            #expect(pcm.isOK && pcm["id"] == 2, "\(pcm)")
            #expect(pcm.integer("frames") != nil && pcm.integer("queued_ms") != nil, "\(pcm)")
            let closed = try await client.request(["op": "close", "stream": .string(stream), "id": 3])
            #expect(closed.isOK && closed["id"] == 3, "\(closed)")
            let live = try await encoder.bus.waitForRecording(of: stream, timeout: .seconds(5))
            expectWellFormed(live, stopped: false)
            // 0.3 s of PCM plus LAME's delay, in whole frames.
            #expect(live.chunks.count == (2400 + WAVVariantTests.lameDelaySamples + 575) / 576)

            let played = try await client.request(
                ["op": "play", "stream": .string(stream), "id": "file"],
                payload: TestAudio.wav(seconds: 0.2)
            )
            #expect(played.isOK && played["id"] == "file", "\(played)")
        }
    }

    @Test("a DEALER may pipeline requests and match the replies by id")
    func dealerPipelines() async throws {
        try await EncoderHarness.with { encoder in
            for index in 0..<20 {
                try await encoder.dealer.send(
                    frames: IngestClient.frames(["op": "status", "id": .number(Double(index))])
                )
            }
            var seen: Set<Int> = []
            for _ in 0..<20 {
                let reply = try await encoder.dealer.receive()
                #expect(reply.isOK)
                if let id = reply.integer("id") {
                    seen.insert(id)
                }
            }
            #expect(seen == Set(0..<20))
        }
    }
}

/// Whether two JSON values are equal as JSON: object members compared by key, not by order.
func sameJSON(_ lhs: JSONValue, _ rhs: JSONValue) -> Bool {
    switch (lhs, rhs) {
    case (.object(let left), .object(let right)):
        return Set(left.keys) == Set(right.keys) && left.keys.count == right.keys.count
            && left.members.allSatisfy { member in right[member.key].map { sameJSON(member.value, $0) } ?? false }
    case (.array(let left), .array(let right)):
        return left.count == right.count && zip(left, right).allSatisfy { sameJSON($0, $1) }
    default:
        return lhs == rhs
    }
}
