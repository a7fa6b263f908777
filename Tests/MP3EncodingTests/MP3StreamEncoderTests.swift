import MP3Encoding
import Testing
import WavecastCore
import WavecastTestSupport

/// What `MP3StreamEncoder` hands out: whole frames of the configured format, no tag frames, sync points.
struct MP3StreamEncoderTests {
    typealias Support = MP3EncodingTestSupport

    @Test(arguments: [0, 1, 575, 576, 577, 8000, 24123])
    func defaultConfigurationMakesWholeSelfContainedMPEG25Frames(sampleCount: Int) throws {
        let encoder = try MP3StreamEncoder(configuration: LAMEConfiguration())
        #expect(encoder.encoderDelay == 576)
        let input = Support.speechLikeNoise(sampleRate: 8000, count: sampleCount)
        let encoded = try encoder.encode(input)
        let flushed = try encoder.finish()
        let frames = encoded + flushed

        // LAME emits 576 samples of encoder delay, then the input, then at least 576 samples of padding.
        #expect(frames.count == Support.expectedFrameCount(outputSamples: sampleCount, samplesPerFrame: 576))
        #expect(frames.count * 576 - sampleCount - 576 >= 576)
        #expect(frames.count * 576 - sampleCount - 576 < 576 + 576)
        // LAME keeps up to 1727 samples of delay and lookahead: at most 4 frames wait for the flush.
        #expect(flushed.count <= 4)
        for frame in frames {
            #expect(frame.bytes.count == 72)
            #expect(frame.header.frameLength == 72)
            #expect(!frame.header.hasPadding, "72 × 8000 / 8000 is whole: no frame at 8 kHz/8 kbps is padded")
            #expect(frame.header.version == .mpeg2_5)
            #expect(frame.header.sampleRate == 8000)
            #expect(frame.header.bitrate == 8)
            #expect(frame.header.channelMode == .mono)
            #expect(!frame.header.hasCRC)
            #expect(frame.sampleCount == 576)
            #expect(!frame.isXingOrInfoTag)
            #expect(frame.isSync, "main_data_begin \(frame.mainDataBegin) with the bit reservoir off")
            #expect(frame.bytes.prefix(2) == [0xFF, 0xE3])
        }
    }

    @Test func bitReservoirFramesStillSplitWholeButLeanOnEarlierFrames() throws {
        let input = Support.speechLikeNoise(sampleRate: 8000, count: 3 * 8000)
        let frames = try Support.encode(input, configuration: LAMEConfiguration(bitReservoir: true))

        #expect(frames.count == Support.expectedFrameCount(outputSamples: input.count, samplesPerFrame: 576))
        #expect(frames.allSatisfy { $0.bytes.count == 72 && $0.header.version == .mpeg2_5 && !$0.isXingOrInfoTag })
        // Nothing precedes the first frame, so it cannot borrow; later ones do, by up to more than a whole frame.
        #expect(frames.first?.isSync == true)
        let leaning = frames.filter { $0.mainDataBegin > 0 }
        #expect(leaning.count > frames.count / 2, "only \(leaning.count) of \(frames.count) frames use the reservoir")
        #expect(frames.map(\.mainDataBegin).max() ?? 0 <= 255)
    }

    @Test(arguments: [false, true])
    func randomPieceSizesGiveTheSameBytesAsOneCall(bitReservoir: Bool) throws {
        let configuration = LAMEConfiguration(bitReservoir: bitReservoir)
        let input = Support.speechLikeNoise(sampleRate: 8000, count: 5 * 8000 + 321, seed: 7)
        let oneCall = try Support.encode(input, configuration: configuration)

        for seed in UInt64(1)...3 {
            var generator = SplitMix64(seed: seed)
            let encoder = try MP3StreamEncoder(configuration: configuration)
            var frames: [MP3Frame] = []
            var offset = 0
            while offset < input.count {
                let count = min(Int.random(in: 0...1500, using: &generator), input.count - offset)
                frames += try encoder.encode(Array(input[offset..<offset + count]))
                offset += count
            }
            frames += try encoder.finish()
            #expect(frames.flatMap(\.bytes) == oneCall.flatMap(\.bytes), "pieces from seed \(seed)")
            #expect(frames == oneCall)
        }
    }

    @Test func oneSampleAtATimeGivesTheSameBytesAsOneCall() throws {
        let input = Support.speechLikeNoise(sampleRate: 8000, count: 4000, seed: 3)
        let oneCall = try Support.encode(input, configuration: LAMEConfiguration())
        let encoder = try MP3StreamEncoder(configuration: LAMEConfiguration())
        var frames: [MP3Frame] = []
        for sample in input {
            frames += try encoder.encode([sample])
        }
        frames += try encoder.finish()
        #expect(frames == oneCall)
    }

    struct Format: Sendable, CustomTestStringConvertible {
        var sampleRate: Int
        var bitrate: Int
        var version: MPEGVersion
        var samplesPerFrame: Int
        var frameLengths: Set<Int>
        var testDescription: String { "\(self.sampleRate) Hz \(self.bitrate) kbps" }
    }

    @Test(arguments: [
        Format(sampleRate: 16000, bitrate: 32, version: .mpeg2, samplesPerFrame: 576, frameLengths: [144]),
        Format(sampleRate: 44100, bitrate: 128, version: .mpeg1, samplesPerFrame: 1152, frameLengths: [417, 418]),
        Format(sampleRate: 8000, bitrate: 64, version: .mpeg2_5, samplesPerFrame: 576, frameLengths: [576]),
        Format(sampleRate: 22050, bitrate: 160, version: .mpeg2, samplesPerFrame: 576, frameLengths: [522, 523]),
    ])
    func otherOutputFormatsMakeFramesOfTheirVersion(_ format: Format) throws {
        let configuration = LAMEConfiguration(
            inputSampleRate: format.sampleRate,
            outputSampleRate: format.sampleRate,
            bitrate: format.bitrate
        )
        let input = Support.speechLikeNoise(sampleRate: format.sampleRate, count: 2 * format.sampleRate)
        let frames = try Support.encode(input, configuration: configuration)

        #expect(
            frames.count
                == Support.expectedFrameCount(outputSamples: input.count, samplesPerFrame: format.samplesPerFrame)
        )
        for frame in frames {
            #expect(frame.header.version == format.version)
            #expect(frame.header.sampleRate == format.sampleRate)
            #expect(frame.header.bitrate == format.bitrate)
            #expect(frame.header.channelMode == .mono)
            #expect(frame.sampleCount == format.samplesPerFrame)
            #expect(format.frameLengths.contains(frame.bytes.count), "frame of \(frame.bytes.count) bytes")
            #expect(!frame.isXingOrInfoTag)
            #expect(frame.isSync)
        }
        if format.frameLengths.count == 2 {
            // 417.96 bytes a frame on average at 44.1 kHz: LAME pads most frames to keep the exact bitrate.
            #expect(Set(frames.map(\.bytes.count)) == format.frameLengths)
        }
    }
}
