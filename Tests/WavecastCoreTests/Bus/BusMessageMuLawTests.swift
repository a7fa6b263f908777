import Testing

@testable import WavecastCore

extension BusMessageTests {
    /// The µ-law rendition on the bus: its topic, its chunk's golden vector, and the checks a receiver makes.
    @Suite struct MuLaw {
        /// Chunk 7 of stream "demo" as µ-law: the golden MP3 chunk's header with rendition 1, on `~mulaw/demo`,
        /// carrying 576 bytes of µ-law (here `FF` `FE` … counting down, wrapping).
        static let goldenFrames: [String] = [
            "7E 6D 75 6C 61 77 2F 64 65 6D 6F",
            "02 02 01 01 00 00 1F 40 00 08 00 01 00 00 00 00 00 00 00 07 00 00 00 00 00 00 0F C0 00 00 02 40"
                + " 0A 0B 0C 0D 01 00 00 00",
        ]
        static let goldenPayload: [UInt8] = (0..<576).map { UInt8(255 - $0 % 256) }

        @Test func goldenVectorEncodes() throws {
            let mp3 = try BusMessageTests.goldenMessage()
            let message = BusMessage.muLawChunk(accompanying: mp3, bytes: Self.goldenPayload)
            let frames = message.frames()
            #expect(frames[0] == MP3TestBytes.fromHex(Self.goldenFrames[0]))
            #expect(frames[0] == Array("~mulaw/demo".utf8))
            #expect(frames[1] == MP3TestBytes.fromHex(Self.goldenFrames[1]))
            #expect(frames[2] == Self.goldenPayload)
        }

        @Test func goldenVectorDecodes() throws {
            let frames = Self.goldenFrames.map { MP3TestBytes.fromHex($0) } + [Self.goldenPayload]
            let message = try BusMessage(frames: frames)
            #expect(message.streamID == "demo")
            #expect(message.header.rendition == .mulaw)
            #expect(message.header.sequence == 7)
            #expect(message.header.timestampSamples == 4032)
            #expect(message.header.durationSamples == 576)
            #expect(message.header.epoch == 0x0A0B_0C0D)
            #expect(message.header.isSync)
            #expect(message.payload.count == 576)
            #expect(message.topic == Array("~mulaw/demo".utf8))
        }

        @Test func aRenditionMustTravelOnItsOwnTopic() throws {
            var frames = Self.goldenFrames.map { MP3TestBytes.fromHex($0) } + [Self.goldenPayload]
            frames[0] = Array("demo".utf8)
            #expect(throws: BusDecodingError.wrongRenditionTopic(.mulaw, topic: "demo")) {
                try BusMessage(frames: frames)
            }
            var mp3 = try BusMessageTests.goldenMessage().frames()
            mp3[0] = Array("~mulaw/demo".utf8)
            #expect(throws: BusDecodingError.wrongRenditionTopic(.mp3, topic: "~mulaw/demo")) {
                try BusMessage(frames: mp3)
            }
        }

        @Test func stoppingAndClearingTravelOnTheRenditionsTopicToo() throws {
            let clear = BusMessage.clear(
                streamID: try StreamID("demo"),
                nextSequence: 9,
                positionSamples: 5184,
                format: .default,
                epoch: 3
            ).onRendition(.mulaw)
            let decoded = try BusMessage(frames: clear.frames())
            #expect(decoded.header.kind == .clear && decoded.header.rendition == .mulaw && decoded.streamID == "demo")
        }

        @Test func renditionKeysAreNeverStreamIDs() throws {
            let stream = try StreamID("call-1")
            let key = stream.key(for: .mulaw)
            #expect(key.rawValue == "~mulaw/call-1")
            #expect(key.rendition == .mulaw && key.stream == stream)
            #expect(stream.key(for: .mp3) == stream && stream.rendition == .mp3)
            #expect(throws: StreamIDError.self) { try StreamID(key.rawValue) }
            #expect(BusRendition(name: "mulaw") == .mulaw && BusRendition(name: "pcm") == nil)
        }

        @Test func theCatalogueSaysWhichStreamsHaveMuLaw() throws {
            let catalogue = BusCatalogue(entries: [
                .init(stream: try StreamID("a"), isLive: true, positionSamples: 1, hasMuLaw: true),
                .init(stream: try StreamID("b"), isLive: true, positionSamples: 2),
                .init(stream: try StreamID("c"), isLive: false, positionSamples: 3, hasMuLaw: true),
            ])
            let bytes = catalogue.encode()
            #expect(bytes[0] == 3 && bytes[11] == 1 && bytes[22] == 2)
            #expect(try BusCatalogue(decoding: bytes, count: 3) == catalogue)
            var bad = bytes
            bad[0] = 4
            #expect(throws: BusDecodingError.self) { try BusCatalogue(decoding: bad, count: 3) }
        }
    }
}
