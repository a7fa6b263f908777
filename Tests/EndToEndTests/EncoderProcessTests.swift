import Foundation
import Testing
import WavecastCore
import WavecastTestSupport
import ZeroMQ

/// The real executables, started as a user starts them, fed by clients we did not write.
@Suite(.serialized, .onOwnThreads)
struct EncoderProcessTests {
    /// Feeds the encoder with the README's own pyzmq lines, run by Python, and hears the stream on the bus.
    @Test func readmePyzmqSnippetPlaysAFile() throws {
        let scratch = try ScratchDirectory()
        try TestAudio.writeVoiceWAV(at: scratch.path("voice.wav"))
        let encoder = try EncoderProcess()
        let listener = try BusTap(endpoint: encoder.bus)
        try listener.waitForHeartbeatBlocking()

        let snippet = try RepositoryFiles.snippet(marker: "pyzmq-snippet").replacingOccurrences(
            of: "tcp://127.0.0.1:5555",
            with: encoder.ingest
        )
        let result = try ExternalTool.run("python3", ["-c", snippet], directory: scratch.url, timeout: .seconds(30))
        #expect(result.status == 0, "python3 failed: \(result.stderr)")
        #expect(result.stdout.contains("'ok': True"), "reply: \(result.stdout)")

        let messages = listener.messagesBlocking(of: "demo", untilEndOr: .seconds(20))
        let chunks = messages.filter { $0.message.header.kind == .chunk }
        #expect(messages.first?.message.header.kind == .start)
        #expect(messages.last?.message.header.kind == .end)
        #expect(chunks.map(\.message.header.sequence) == (0..<UInt64(chunks.count)).map { $0 })
        #expect(chunks.count > 10)
        #expect(encoder.stop() == 0)
    }

    /// `wavecast feed` sends a file, `wavecast tap` records it, and the recording decodes to its length.
    @Test func cliFeedAndTapRoundTrip() throws {
        let scratch = try ScratchDirectory()
        let wav = scratch.path("voice.wav")
        try TestAudio.writeVoiceWAV(at: wav, text: "One, two, three, four. Wavecast cuts MP3 at real frame boundaries.")
        let inputSeconds = try FFmpeg.duration(of: wav)
        let encoder = try EncoderProcess()
        try encoder.waitForHeartbeat()  // the encoder is publishing heartbeats: the bus is up

        let tap = try ChildProcess(
            BuiltProducts.path("wavecast"),
            ["tap", "--stream", "e2e", "--bus", encoder.bus, "--out", scratch.path("tap.mp3"), "--seconds", "30"]
        )
        // tap says "connected" at the first heartbeat: from then on its subscription misses nothing.
        _ = try tap.waitForOutput("a heartbeat (\"connected\")", timeout: .seconds(10)) {
            $0.contains("connected") ? true : nil
        }

        let feed = try ExternalTool.run(
            BuiltProducts.path("wavecast"),
            ["feed", wav, "--stream", "e2e", "--encoder", encoder.ingest]
        )
        #expect(feed.status == 0, "feed failed: \(feed.stderr)")
        #expect(feed.stdout.contains("\"ok\":true"))

        let tapStatus = tap.waitForExit(timeout: .seconds(30))
        #expect(tapStatus == 0, "tap did not stop at the stream's end with status 0 (\(String(describing: tapStatus)))")
        tap.kill()
        let tapLog = tap.output(waiting: true)
        #expect(tapLog.contains("0 sequence gaps"), "tap said: \(tapLog)")

        // MP3 adds LAME's encoder delay and the last frame's padding: at most 1105 samples + 1 frame at 8 kHz.
        let tappedSeconds = try FFmpeg.duration(of: scratch.path("tap.mp3"))
        #expect(tappedSeconds >= inputSeconds - 0.072)
        #expect(tappedSeconds <= inputSeconds + (1105.0 + 576.0 * 2) / 8000)
        #expect(encoder.stop() == 0)
    }

    /// Live PCM piped from sox through `wavecast feed --pcm-stdin` comes out paced at real time.
    @Test func cliFeedsLivePCMFromStandardInput() throws {
        let scratch = try ScratchDirectory()
        let raw = scratch.path("tone.raw")
        let sox = try ExternalTool.run(
            "sox",
            ["-n", "-r", "16000", "-c", "2", "-b", "16", "-e", "signed", "-t", "raw", raw, "synth", "2", "sine", "440"]
        )
        #expect(sox.status == 0, "sox failed: \(sox.stderr)")
        let encoder = try EncoderProcess()
        let listener = try BusTap(endpoint: encoder.bus)
        try listener.waitForHeartbeatBlocking()
        // Feed in the background and listen at the same time, so arrival times are real.
        let feed = Process()
        feed.executableURL = URL(fileURLWithPath: BuiltProducts.path("wavecast"))
        feed.arguments = [
            "feed", "--pcm-stdin", "--rate", "16000", "--channels", "2", "--stream", "live", "--encoder",
            encoder.ingest,
        ]
        feed.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: raw))
        feed.standardOutput = FileHandle.nullDevice
        try feed.run()
        let messages = listener.messagesBlocking(of: "live", untilEndOr: .seconds(15))
        feed.waitUntilExit()
        #expect(feed.terminationStatus == 0)
        let chunks = messages.filter { $0.message.header.kind == .chunk }
        // 2 s of PCM fed at once comes out at real time: 72 ms a chunk, wide tolerance for a busy machine.
        #expect(chunks.count >= 27 && chunks.count <= 31, "chunks: \(chunks.count)")
        if let first = chunks.first, let last = chunks.last {
            let span = Duration.nanoseconds(last.arrival.nanoseconds(since: first.arrival))
            let expected = Duration.milliseconds(72 * (chunks.count - 1))
            #expect(span > expected - .milliseconds(300) && span < expected + .milliseconds(300), "span \(span)")
        }
        #expect(messages.last?.message.header.kind == .end)
        #expect(encoder.stop() == 0)
    }

    /// SIGTERM ends a playing stream with `end` (stopped) and the process exits 0 within a few seconds.
    @Test func sigtermEndsStreamsAndExitsCleanly() throws {
        let scratch = try ScratchDirectory()
        try TestAudio.writeVoiceWAV(at: scratch.path("voice.wav"))
        let encoder = try EncoderProcess()
        let listener = try BusTap(endpoint: encoder.bus)
        try listener.waitForHeartbeatBlocking()
        let feed = try ExternalTool.run(
            BuiltProducts.path("wavecast"),
            ["feed", scratch.path("voice.wav"), "--stream", "looping", "--loop", "--encoder", encoder.ingest]
        )
        #expect(feed.status == 0, "feed failed: \(feed.stderr)")
        Thread.sleep(forTimeInterval: 0.5)
        let started = ContinuousClock.now
        let status = encoder.stop(timeout: .seconds(5))
        #expect(status == 0, "wavecast-encoder exit status after SIGTERM: \(String(describing: status))")
        #expect(ContinuousClock.now - started < .seconds(5))
        let messages = listener.messagesBlocking(of: "looping", untilEndOr: .seconds(3))
        let end = messages.last { $0.message.header.kind == .end }
        #expect(end?.message.header.isStopped == true, "no end (stopped) seen after SIGTERM")
    }
}
