import Testing
import WavecastCore

@testable import Encoder

/// How the encoder splits a stream's µ-law over its MP3 chunks, and what a request's `renditions` says.
struct MuLawRenditionTests {
    static func chunk(samples: Int) -> MP3Chunk {
        MP3Chunk(bytes: [0xFF, 0xE3], frameCount: 1, sampleCount: samples, isSync: true)
    }

    @Test func everyChunkTakesItsDurationWithTheRemaindersCarried() {
        // MP3 at 44.1 kHz: 1152 samples a frame is 208.98… µ-law bytes; over 441 frames exactly 92,160.
        var rendition = MuLawRendition(inputSampleRate: 8000, mp3SampleRate: 44100)
        rendition.feed([Float](repeating: 0.1, count: 100_000))
        let chunks = rendition.attach(to: Array(repeating: Self.chunk(samples: 1152), count: 441), last: false)
        let sizes = chunks.map { $0.muLaw?.count ?? -1 }
        #expect(Set(sizes) == [208, 209])
        let total = sizes.reduce(0, +)
        let expected = 441 * 1152 * 8000 / 44100
        #expect(total == expected)
    }

    @Test func theFirstBytesAreThePCMAndTheTailIsSilence() {
        var rendition = MuLawRendition(inputSampleRate: 8000, mp3SampleRate: 8000)
        let pcm = (0..<1000).map { Float($0 % 50) / 100 }
        rendition.feed(pcm)
        rendition.finish()
        let chunks = rendition.attach(to: Array(repeating: Self.chunk(samples: 576), count: 3), last: true)
        let bytes = chunks.flatMap { $0.muLaw ?? [] }
        #expect(bytes.count == 3 * 576)
        #expect(Array(bytes.prefix(1000)) == pcm.map { MuLaw.encode($0) })
        #expect(bytes.dropFirst(1000).allSatisfy { $0 == MuLaw.silence })
    }

    @Test func leftoverMuLawGoesOnTheLastChunk() {
        var rendition = MuLawRendition(inputSampleRate: 8000, mp3SampleRate: 8000)
        rendition.feed([Float](repeating: 0.2, count: 700))
        rendition.finish()
        let chunks = rendition.attach(to: [Self.chunk(samples: 576)], last: true)
        #expect(chunks[0].muLaw?.count == 700)
    }

    @Test func requestsNameTheirRenditions() throws {
        func decode(_ json: String, payload: [UInt8]? = nil) throws(IngestError) -> IngestRequest {
            try IngestRequest(frames: [Array(json.utf8)] + (payload.map { [$0] } ?? []), maxMessageBytes: 1 << 20)
        }
        let open = try decode(
            #"{"op":"open","stream":"s","sample_rate":8000,"channels":1,"renditions":["mp3","mulaw"]}"#
        )
        #expect(open.renditions == [.mp3, .mulaw])
        #expect(try decode(#"{"op":"open","stream":"s","sample_rate":8000,"channels":1}"#).renditions == nil)
        #expect(try decode(#"{"op":"stop","stream":"s","renditions":"whatever"}"#).renditions == nil)
        let cases: [(String, String)] = [
            (#"["mp3","opus"]"#, "unknown_rendition"), (#"["mp3","mp3"]"#, "duplicate_rendition"),
            (#"["mulaw"]"#, "mp3_rendition_required"), (#""mulaw""#, "invalid_field"), ("[]", "invalid_field"),
            ("[1]", "invalid_field"),
        ]
        for (value, code) in cases {
            do {
                _ = try decode(#"{"op":"play","stream":"s","renditions":\#(value)}"#, payload: [1])
                Issue.record("\(value) was accepted")
            } catch {
                #expect(error.code == code, "\(value): \(error)")
            }
        }
    }
}
