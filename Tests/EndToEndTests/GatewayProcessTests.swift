import Foundation
import Testing
import WavecastCore
import WavecastTestSupport
import ZeroMQ

/// The real `wavecast-encoder` and `wavecast-gateway` executables, listened to by a WebSocket client we
/// did not write (Python's `websockets`).
@Suite(.serialized, .onOwnThreads)
struct GatewayProcessTests {
    /// A whole spoken stream through encoder and gateway processes to Python `websockets`: every chunk in
    /// order, the same bytes the encoder published, and an MP3 that ffmpeg decodes to the input's length.
    @Test func pythonWebsocketsReceivesAWholeStreamThatFFmpegDecodes() throws {
        let scratch = try ScratchDirectory()
        let wav = scratch.path("voice.wav")
        try TestAudio.writeVoiceWAV(at: wav, text: "Wavecast relays this voice to every listener, paced in real time.")
        let encoder = try EncoderProcess()
        let bus = try BusTap(endpoint: encoder.bus)
        try bus.waitForHeartbeatBlocking()
        let gateway = try GatewayProcess(bus: encoder.bus, arguments: ["--jitter-ms", "20", "--burst-ms", "300"])
        try gateway.waitUntilReady(timeout: .seconds(15))

        let mp3 = scratch.path("heard.mp3")
        let client = try WebSocketsClient.start(
            url: "ws://127.0.0.1:\(gateway.port)/ws/interop",
            mode: "stream",
            mp3: mp3
        )
        let feed = try ExternalTool.run(
            BuiltProducts.path("wavecast"),
            ["feed", wav, "--stream", "interop", "--encoder", encoder.ingest]
        )
        #expect(feed.status == 0, "feed failed: \(feed.stderr)")
        let published = bus.messagesBlocking(of: "interop", untilEndOr: .seconds(30)).map(\.message)
            .filter { $0.header.kind == .chunk }
        let report = try client.report()

        let sequence = report["seq"] as? [Int] ?? []
        #expect(sequence.count > 20)
        #expect(sequence == Array(0..<sequence.count), "sequence numbers from 0 without a gap")
        #expect((report["sync"] as? [Bool])?.first == true)
        #expect((report["events"] as? [String])?.first == "start")
        #expect((report["end"] as? [String: Any])?["reason"] as? String == "finished")
        let format = (report["start"] as? [String: Any])?["format"] as? [String: Any]
        #expect(format?["sample_rate"] as? Int == 8000)

        // Byte for byte what the encoder put on the bus.
        let heard = try Data(contentsOf: URL(fileURLWithPath: mp3))
        #expect(heard == Data(published.flatMap(\.payload)))
        #expect(sequence.count == published.count)

        // And a real decoder reads it without complaint, for as long as the chunks say.
        let decode = try ExternalTool.run("ffmpeg", ["-v", "error", "-i", mp3, "-f", "null", "-"])
        #expect(decode.status == 0)
        #expect(decode.stderr.isEmpty, "ffmpeg: \(decode.stderr)")
        let seconds = try FFmpeg.duration(of: mp3)
        #expect(abs(seconds - Double(sequence.count) * 0.072) < 0.1, "decoded \(seconds) s")
        #expect(gateway.stop() == 0, "gateway log:\n\(gateway.output(waiting: true))")
        #expect(encoder.stop() == 0)
    }

    /// SIGTERM: the gateway closes its clients with 1001 (going away) and exits 0 within a few seconds.
    @Test func sigtermClosesClientsWith1001AndExitsZero() throws {
        let encoder = try EncoderProcess()
        let gateway = try GatewayProcess(bus: encoder.bus, arguments: ["--jitter-ms", "20", "--burst-ms", "300"])
        try gateway.waitUntilReady(timeout: .seconds(15))
        let clients = try (0..<2).map { _ in
            try WebSocketsClient.start(url: "ws://127.0.0.1:\(gateway.port)/ws/leaving", mode: "until-closed")
        }

        let started = ContinuousClock.now
        let status = gateway.stop(timeout: .seconds(10))
        let took = ContinuousClock.now - started
        #expect(status == 0, "gateway log:\n\(gateway.output(waiting: true))")
        #expect(took < .seconds(5), "the gateway took \(took) to exit")
        for client in clients {
            let report = try client.report(timeout: .seconds(10))
            #expect(report["close_code"] as? Int == 1001)
            #expect((report["close_reason"] as? String)?.contains("reconnect") == true)
        }
        #expect(gateway.output(waiting: true).contains("Gateway stopped"))
        #expect(encoder.stop() == 0)
    }

    /// Bad options stop the gateway before it binds, with a message that names the option.
    @Test(arguments: [
        (["--idle-timeout-ms", "1000", "--ping-interval-ms", "2000"], "--idle-timeout-ms (1000) must be longer"),
        (["--request-timeout-ms", "0"], "--request-timeout-ms must be > 0"),
        (["--ping-interval-ms=-5"], "--ping-interval-ms must be > 0"),
        (["--listen", "nowhere"], "--listen must be HOST:PORT"),
    ])
    func badOptionsAreRefusedWithTheirName(arguments: [String], message: String) throws {
        let result = try ExternalTool.run(
            BuiltProducts.path("wavecast-gateway"),
            arguments + ["--bus", "tcp://127.0.0.1:1"],
            timeout: .seconds(20)
        )
        #expect(result.status != 0)
        #expect(result.stderr.contains(message), "stderr: \(result.stderr)")
    }
}
