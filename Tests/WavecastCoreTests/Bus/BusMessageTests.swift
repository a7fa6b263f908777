import Testing

@testable import WavecastCore

struct BusMessageTests {
    /// The golden chunk payload: one MPEG-2.5 frame, header `FF E3 18 C4`, `main_data_begin` 0, then bytes 05…47.
    static let goldenPayload: [UInt8] = MP3TestBytes.fromHex("FF E3 18 C4 00") + (5..<72).map { UInt8($0) }

    /// The golden vector, also in ``BusMessage``'s documentation and docs/PROTOCOL.md: chunk 7 of stream "demo" of
    /// epoch 0x0A0B0C0D, 8000 Hz, 8 kbps, mono, sync, 1 frame, timestamp 4032 samples (504 ms), duration 576 samples
    /// (72 ms), MP3.
    static let goldenFrames: [String] = [
        "64 65 6D 6F",
        "02 02 01 01 00 00 1F 40 00 08 00 01 00 00 00 00 00 00 00 07 00 00 00 00 00 00 0F C0 00 00 02 40"
            + " 0A 0B 0C 0D 00 00 00 00",
        """
        FF E3 18 C4 00 05 06 07 08 09 0A 0B 0C 0D 0E 0F 10 11 12 13 14 15 16 17 18 19 1A 1B 1C 1D 1E 1F
        20 21 22 23 24 25 26 27 28 29 2A 2B 2C 2D 2E 2F 30 31 32 33 34 35 36 37 38 39 3A 3B 3C 3D 3E 3F
        40 41 42 43 44 45 46 47
        """,
    ]

    static func goldenMessage() throws -> BusMessage {
        let frame = try MP3Frame(bytes: Self.goldenPayload)
        return BusMessage.chunk(
            streamID: try StreamID("demo"),
            chunk: MP3Chunk(frames: [frame]),
            sequence: 7,
            timestampSamples: 4032,
            format: .default,
            epoch: 0x0A0B_0C0D
        )
    }

    @Test func goldenVectorEncodes() throws {
        let message = try Self.goldenMessage()
        #expect(message.frames() == Self.goldenFrames.map { MP3TestBytes.fromHex($0) })
        let goldenHex = Self.goldenFrames.map { MP3TestBytes.hex(MP3TestBytes.fromHex($0)) }
        #expect(message.frames().map { MP3TestBytes.hex($0) } == goldenHex)
        #expect(message.payload.count == 72)
    }

    @Test func goldenVectorDecodes() throws {
        let message = try BusMessage(frames: Self.goldenFrames.map { MP3TestBytes.fromHex($0) })
        #expect(message == (try Self.goldenMessage()))
        #expect(message.streamID == "demo")
        let header = message.header
        #expect(header.kind == .chunk)
        #expect(header.isSync)
        #expect(!header.isStopped)
        #expect(header.flags == 1)
        #expect(header.channels == 1)
        #expect(header.sampleRate == 8000)
        #expect(header.bitrate == 8)
        #expect(header.frameCount == 1)
        #expect(header.sequence == 7)
        #expect(header.timestampSamples == 4032)
        #expect(header.durationSamples == 576)
        #expect(header.epoch == 0x0A0B_0C0D)
        #expect(header.rendition == .mp3)
        #expect(header.timestamp == .milliseconds(504))
        #expect(header.duration == .milliseconds(72))
    }

    static let demo = try! StreamID("demo")

    @Test(arguments: [
        BusMessage.start(streamID: Self.demo, format: .default, epoch: 1),
        BusMessage.chunk(
            streamID: Self.demo,
            chunk: MP3Chunk(bytes: [1, 2, 3], frameCount: 2, sampleCount: 1152, isSync: false),
            sequence: 0,
            timestampSamples: 0,
            format: .default,
            epoch: .max
        ),
        BusMessage.end(
            streamID: Self.demo,
            chunkCount: 12,
            totalSamples: 6912,
            stopped: false,
            format: .default,
            epoch: 7
        ),
        BusMessage.end(
            streamID: try! StreamID("room-1.a_b"),
            chunkCount: 3,
            totalSamples: 1728,
            stopped: true,
            format: .default,
            epoch: 8
        ),
        BusMessage.mark(
            streamID: Self.demo,
            name: String(repeating: "é", count: 128),
            nextSequence: 3,
            positionSamples: 1728,
            format: .default,
            epoch: 9
        ),
        BusMessage.heartbeat(counter: 42),
        BusMessage.catalogue(
            BusCatalogue(entries: [
                .init(stream: Self.demo, isLive: true, positionSamples: 4032),
                .init(stream: try! StreamID(String(repeating: "y", count: 64)), isLive: false, positionSamples: .max),
            ]),
            counter: 7,
            format: .default
        ),
        BusMessage.catalogue(BusCatalogue(entries: []), counter: 1, format: .default),
        BusMessage(
            streamID: String(repeating: "z", count: 64),
            header: BusHeader(
                kind: .chunk,
                isSync: true,
                isStopped: true,
                isReplay: true,
                isReplayEnd: true,
                channels: .max,
                sampleRate: .max,
                bitrate: .max,
                frameCount: .max,
                sequence: .max,
                timestampSamples: .max,
                durationSamples: .max,
                epoch: .max,
                rendition: .mulaw
            ),
            payload: [0xFF]
        ),
    ])
    func roundTrips(message: BusMessage) throws {
        let frames = message.frames()
        #expect(frames.count == 3)
        #expect(frames[1].count == BusHeader.length)
        #expect(try BusMessage(frames: frames) == message)
        #expect(try BusHeader(decoding: frames[1]) == message.header)
        #expect(try BusHeader(decoding: frames[1][...]) == message.header)
    }

    @Test func builders() throws {
        let stereo = try MP3OutputFormat(sampleRate: 44100, bitrate: 128, channels: 2)
        let start = BusMessage.start(streamID: Self.demo, format: stereo, epoch: 0x0102_0304)
        #expect(
            start.frames()[1]
                == MP3TestBytes.fromHex(
                    "02 01 00 02 00 00 AC 44 00 80" + String(repeating: " 00", count: 22) + " 01 02 03 04 00 00 00 00"
                )
        )
        #expect(start.payload.isEmpty)

        let end = BusMessage.end(
            streamID: Self.demo,
            chunkCount: 5,
            totalSamples: 2880,
            stopped: true,
            format: .default,
            epoch: 5
        )
        #expect(
            MP3TestBytes.hex(end.frames()[1])
                == "02 03 02 01 00 00 1F 40 00 08 00 00 00 00 00 00 00 00 00 05 00 00 00 00 00 00 0B 40 00 00 00 00"
                + " 00 00 00 05 00 00 00 00"
        )
        #expect(end.header.timestamp == .milliseconds(360))
        #expect(end.header.duration == .zero)

        let heartbeat = BusMessage.heartbeat(counter: 258)
        #expect(heartbeat.frames()[0] == Array("#".utf8))
        #expect(heartbeat.frames()[2].isEmpty)
        #expect(
            MP3TestBytes.hex(heartbeat.frames()[1])
                == "02 04 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01 02 00 00 00 00 00 00 00 00 00 00 00 00"
                + " 00 00 00 00 00 00 00 00"
        )
        #expect(heartbeat.header.timestamp == .zero)
    }

    @Test func headerWriteAppends() {
        var buffer: [UInt8] = [0xAA]
        BusHeader.heartbeat(counter: 1).write(into: &buffer)
        #expect(buffer.count == 41)
        #expect(buffer[0] == 0xAA)
        #expect(Array(buffer[1...]) == BusHeader.heartbeat(counter: 1).encode())
    }

    static func frames(
        streamID: String = "demo",
        header: [UInt8]? = nil,
        kind: UInt8 = 2,
        flags: UInt8 = 1,
        frameCount: UInt8 = 1,
        payload: [UInt8] = [0xFF, 0xE3]
    ) -> [[UInt8]] {
        var headerBytes = header ?? MP3TestBytes.fromHex(Self.goldenFrames[1])
        if header == nil {
            headerBytes[1] = kind
            headerBytes[2] = flags
            headerBytes[11] = frameCount
        }
        return [Array(streamID.utf8), headerBytes, payload]
    }

    @Test func rejectsWrongFrameCounts() {
        let good = Self.frames()
        for count in [0, 1, 2, 4, 5] {
            let frames = Array((good + [[]] + [[]]).prefix(count))
            #expect(throws: BusDecodingError.wrongFrameCount(count)) {
                try BusMessage(frames: frames)
            }
        }
        #expect(BusDecodingError.wrongFrameCount(2).description.contains("has 2 frame(s); expected 3"))
    }

    @Test(arguments: [0, 1, 31, 32, 33, 39, 41, 64])
    func rejectsWrongHeaderLengths(length: Int) {
        let header = [UInt8](
            (MP3TestBytes.fromHex(Self.goldenFrames[1]) + [UInt8](repeating: 0, count: 32)).prefix(length)
        )
        #expect(throws: BusDecodingError.wrongHeaderLength(length)) {
            try BusMessage(frames: Self.frames(header: header))
        }
        #expect(throws: BusDecodingError.wrongHeaderLength(length)) {
            try BusHeader(decoding: header)
        }
    }

    /// A version-1 header (32 bytes, from an encoder not yet upgraded) still reads: epoch 0, MP3.
    @Test func readsAVersion1Header() throws {
        var header = Array(MP3TestBytes.fromHex(Self.goldenFrames[1]).prefix(32))
        header[0] = 1
        let message = try BusMessage(frames: Self.frames(header: header, payload: Self.goldenPayload))
        var expected = try Self.goldenMessage()
        expected.header.epoch = 0
        #expect(message == expected)
        #expect(message.header.rendition == .mp3)
        // A version-1 header of version-2 length is neither.
        var long = MP3TestBytes.fromHex(Self.goldenFrames[1])
        long[0] = 1
        #expect(throws: BusDecodingError.wrongHeaderLength(40)) {
            try BusHeader(decoding: long)
        }
    }

    @Test(arguments: [0, 3, 255] as [UInt8])
    func rejectsOtherVersions(version: UInt8) {
        var header = MP3TestBytes.fromHex(Self.goldenFrames[1])
        header[0] = version
        let error = #expect(throws: BusDecodingError.unsupportedVersion(version)) {
            try BusMessage(frames: Self.frames(header: header))
        }
        #expect(error?.code == "bus.unsupported_version")
        #expect(error?.description.contains("header version \(version);") == true)
    }

    @Test func renditionIsByte36() throws {
        var header = MP3TestBytes.fromHex(Self.goldenFrames[1])
        header[36] = 1
        // A µ-law message travels on its own topic (BusMessageMuLawTests).
        #expect(try BusHeader(decoding: header).rendition == .mulaw)
        for byte: UInt8 in [2, 0xFF] {
            header[36] = byte
            let error = #expect(throws: BusDecodingError.unknownRendition(byte)) {
                try BusMessage(frames: Self.frames(header: header))
            }
            #expect(error?.code == "bus.unknown_rendition")
        }
    }

    @Test(arguments: [37, 38, 39])
    func rejectsReservedBytes(offset: Int) {
        var header = MP3TestBytes.fromHex(Self.goldenFrames[1])
        header[offset] = 1
        let error = #expect(throws: BusDecodingError.reservedBytes) {
            try BusMessage(frames: Self.frames(header: header))
        }
        #expect(error?.code == "bus.reserved_bytes")
    }

    @Test(arguments: [0, 8, 255] as [UInt8])
    func rejectsUnknownKinds(kind: UInt8) {
        #expect(throws: BusDecodingError.unknownKind(kind)) {
            try BusMessage(frames: Self.frames(kind: kind))
        }
    }

    @Test(arguments: [0x10, 0x80, 0xFF, 0x11] as [UInt8])
    func rejectsReservedFlags(flags: UInt8) {
        let error = #expect(throws: BusDecodingError.reservedFlags(flags)) {
            try BusMessage(frames: Self.frames(flags: flags))
        }
        #expect(error?.code == "bus.reserved_flags")
    }

    @Test func acceptsBothDefinedFlags() throws {
        let message = try BusMessage(frames: Self.frames(flags: 0b11))
        #expect(message.header.isSync)
        #expect(message.header.isStopped)
    }

    @Test func rejectsAStreamIDThatIsNotUTF8() {
        var frames = Self.frames()
        frames[0] = [0x64, 0xC3, 0x28]
        #expect(throws: BusDecodingError.streamIDNotUTF8) {
            try BusMessage(frames: frames)
        }
    }

    @Test(arguments: [
        ("", UInt8(2), StreamIDError.empty),
        ("", 1, .empty),
        ("", 3, .empty),
        ("de mo", 2, .invalidCharacter(" ", position: 2)),
        (String(repeating: "a", count: 65), 1, .tooLong(65)),
    ])
    func rejectsInvalidStreamIDs(streamID: String, kind: UInt8, error: StreamIDError) {
        let payload: [UInt8] = kind == 2 ? [0xFF] : []
        let caught = #expect(
            throws: BusDecodingError.invalidStreamID(error, kind: BusMessageKind(rawValue: kind)!)
        ) {
            try BusMessage(frames: Self.frames(streamID: streamID, kind: kind, payload: payload))
        }
        #expect(caught?.code == "bus.invalid_stream_id")
    }

    @Test(arguments: [(UInt8(4), "demo"), (4, ""), (4, "#demo"), (4, "##"), (5, "demo"), (5, "")])
    func rejectsAControlMessageOffTheControlTopic(kind: UInt8, topic: String) {
        let error = #expect(
            throws: BusDecodingError.wrongControlTopic(kind: BusMessageKind(rawValue: kind)!, topic: topic)
        ) {
            try BusMessage(frames: Self.frames(streamID: topic, kind: kind, flags: 0, frameCount: 0, payload: []))
        }
        #expect(error?.code == "bus.wrong_control_topic")
        #expect(error?.description.contains("exactly \"#\"") == true)
    }

    @Test(arguments: ["#", "#demo"])
    func rejectsTheControlTopicOnStreamMessages(topic: String) {
        #expect(throws: BusDecodingError.self) {
            try BusMessage(frames: Self.frames(streamID: topic))
        }
    }

    @Test func theReplayFlagIsBitTwo() throws {
        let message = try BusMessage(frames: Self.frames(flags: 0b101))
        #expect(message.header.isReplay && message.header.isSync && !message.header.isStopped)
        #expect(message.header.flags == 0b101)
        let live = BusMessage(
            streamID: "demo",
            header: BusHeader(kind: .chunk, isSync: true, frameCount: 1),
            payload: [1]
        )
        #expect(live.asReplay(isLast: false).header.isReplay && live.asReplay(isLast: false).payload == live.payload)
        #expect(live.asReplay(isLast: false).frames()[1][2] == 0b101)
        #expect(live.asReplay(isLast: true).frames()[1][2] == 0b1101)
        #expect(try BusMessage(frames: live.asReplay(isLast: true).frames()).header.isReplayEnd)
    }

    @Test func catalogueGoldenBytes() throws {
        let message = BusMessage.catalogue(
            BusCatalogue(entries: [.init(stream: try StreamID("ab"), isLive: true, positionSamples: 0x0102)]),
            counter: 3,
            format: .default
        )
        let frames = message.frames()
        #expect(frames[0] == Array("#".utf8))
        #expect(
            MP3TestBytes.hex(frames[1])
                == "02 05 00 01 00 00 1F 40 00 08 00 01 00 00 00 00 00 00 00 03 00 00 00 00 00 00 00 00 00 00 00 00"
                + " 00 00 00 00 00 00 00 00"
        )
        #expect(MP3TestBytes.hex(frames[2]) == "01 02 61 62 00 00 00 00 00 00 01 02")
    }

    static func catalogueHeader(_ count: Int) -> [UInt8] {
        BusHeader.catalogue(entryCount: count, counter: 1, format: .default).encode()
    }

    @Test(
        arguments: [
            (1, [UInt8](), "entry 0 of 1 is cut short at byte 0"),
            (1, [1], "entry 0 of 1 is cut short at byte 0"),
            (1, [4, 1, 0x61, 0, 0, 0, 0, 0, 0, 0, 0], "entry 0 has the state 4 at byte 0"),
            (1, [1, 2, 0x61, 0, 0, 0, 0, 0, 0, 0, 0], "entry 0 of 1 is cut short at byte 2"),
            (1, [1, 1, 0x23, 0, 0, 0, 0, 0, 0, 0, 0], "entry 0 has an invalid stream id"),
            (1, [1, 0, 0, 0, 0, 0, 0, 0, 0, 0], "entry 0 has an invalid stream id"),
            (1, [1, 1, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0], "entry 0 has a stream id that is not UTF-8"),
            (1, [1, 1, 0x61, 0, 0, 0, 0, 0, 0, 0, 0, 9], "1 byte(s) follow the last of 1 entries"),
            (0, [1], "1 byte(s) follow the last of 0 entries"),
            (2, [1, 1, 0x61, 0, 0, 0, 0, 0, 0, 0, 0], "entry 1 of 2 is cut short at byte 11"),
        ] as [(Int, [UInt8], String)]
    )
    func rejectsMalformedCatalogues(count: Int, payload: [UInt8], reason: String) {
        let error = #expect(throws: BusDecodingError.self) {
            try BusMessage(frames: [Array("#".utf8), Self.catalogueHeader(count), payload])
        }
        #expect(error?.code == "bus.malformed_catalogue")
        #expect(error?.description.contains(reason) == true, "\(error.map { "\($0)" } ?? "")")
    }

    @Test func rejectsAChunkWithoutPayload() {
        #expect(throws: BusDecodingError.emptyChunkPayload) {
            try BusMessage(frames: Self.frames(payload: []))
        }
    }

    @Test func rejectsAChunkWithoutFrames() {
        #expect(throws: BusDecodingError.zeroFrameCount) {
            try BusMessage(frames: Self.frames(frameCount: 0))
        }
    }

    @Test(arguments: [(UInt8(1), "demo"), (3, "demo"), (4, "#")])
    func rejectsAPayloadOnOtherKinds(kind: UInt8, streamID: String) {
        let error = #expect(
            throws: BusDecodingError.unexpectedPayload(kind: BusMessageKind(rawValue: kind)!, length: 2)
        ) {
            try BusMessage(frames: Self.frames(streamID: streamID, kind: kind, flags: 0, frameCount: 0))
        }
        #expect(error?.code == "bus.unexpected_payload")
    }

    @Test func errorCodesAreDistinct() {
        let errors: [BusDecodingError] = [
            .wrongFrameCount(1), .wrongHeaderLength(1), .unsupportedVersion(3), .unknownKind(9), .reservedFlags(4),
            .unknownRendition(2), .reservedBytes, .invalidMarkName,
            .streamIDNotUTF8, .invalidStreamID(.empty, kind: .chunk), .wrongControlTopic(kind: .heartbeat, topic: "x"),
            .malformedCatalogue("x"),
            .emptyChunkPayload, .zeroFrameCount, .unexpectedPayload(kind: .end, length: 1),
        ]
        #expect(Set(errors.map(\.code)).count == errors.count)
        #expect(errors.allSatisfy { $0.code.hasPrefix("bus.") && !$0.description.isEmpty })
    }

    @Test func aClearRoundTripsByteForByte() throws {
        let format = try MP3OutputFormat(sampleRate: 8000, bitrate: 8, channels: 1)
        let clear = BusMessage.clear(
            streamID: try StreamID("bot"),
            nextSequence: 12,
            positionSamples: 6912,
            format: format,
            epoch: 2
        )
        let frames = clear.frames()
        // Kind 6, no flags, 1 channel, 8000 Hz, 8 kbps, no frames, next chunk 12, at 6912 samples, no duration, epoch 2.
        #expect(
            frames[1]
                == MP3TestBytes.fromHex(
                    "02 06 00 01 00 00 1F 40 00 08 00 00 00 00 00 00 00 00 00 0C 00 00 00 00 00 00 1B 00 00 00 00 00"
                        + " 00 00 00 02 00 00 00 00"
                )
        )
        #expect(frames[0] == Array("bot".utf8) && frames[2].isEmpty)
        let decoded = try BusMessage(frames: frames)
        #expect(decoded.header.kind == .clear && decoded.header.sequence == 12 && decoded.streamID == "bot")
        #expect(throws: BusDecodingError.self) {
            try BusMessage(frames: [frames[0], frames[1], [1]])
        }
    }

    @Test func aMarkRoundTripsByteForByte() throws {
        let mark = BusMessage.mark(
            streamID: try StreamID("bot"),
            name: "turn-1",
            nextSequence: 12,
            positionSamples: 6912,
            format: .default,
            epoch: 2
        )
        let frames = mark.frames()
        // Kind 7, no flags, 1 channel, 8000 Hz, 8 kbps, no frames, next chunk 12, at 6912 samples, epoch 2; the name.
        #expect(
            frames[1]
                == MP3TestBytes.fromHex(
                    "02 07 00 01 00 00 1F 40 00 08 00 00 00 00 00 00 00 00 00 0C 00 00 00 00 00 00 1B 00 00 00 00 00"
                        + " 00 00 00 02 00 00 00 00"
                )
        )
        #expect(frames[2] == Array("turn-1".utf8))
        #expect(try BusMessage(frames: frames) == mark)
    }

    @Test(arguments: [[], [0xFF, 0xFE], [UInt8](repeating: 0x61, count: 257)] as [[UInt8]])
    func rejectsABadMarkName(name: [UInt8]) throws {
        let frames = BusMessage.mark(
            streamID: try StreamID("bot"),
            name: "x",
            nextSequence: 0,
            positionSamples: 0,
            format: .default,
            epoch: 1
        ).frames()
        let error = #expect(throws: BusDecodingError.invalidMarkName) {
            try BusMessage(frames: [frames[0], frames[1], name])
        }
        #expect(error?.code == "bus.invalid_mark_name")
    }
}
