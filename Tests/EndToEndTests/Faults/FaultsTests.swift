import Foundation
import Testing
import WavecastTestSupport

/// Faults with real processes on 127.0.0.1: a stopped gateway, connection abuse, a stalled reader
/// among 1,000 clients, ingest abuse and resource limits. The clients are Scripts/fault_clients.py (Python `websockets` and pyzmq); each
/// mode prints one JSON line of figures, which the test prints and checks.
@Suite(.serialized, .onOwnThreads)
struct FaultsTests {
    /// SIGSTOP a gateway for 5 s, then SIGCONT: the chunks it missed reach its listener merged (or
    /// are skipped, and counted), the burst is bounded, it is on time again within seconds, and it
    /// serves new clients.
    @Test func stoppedGatewayCatchesUpWithoutAnUnboundedBurst() throws {
        let scratch = try ScratchDirectory()
        try TestAudio.writeVoiceWAV(
            at: scratch.path("voice.wav"),
            text: "Stall test. The gateway is stopped for five seconds, then it carries on."
        )
        let encoder = try EncoderProcess()
        try encoder.waitForHeartbeat()
        let gateway = try GatewayProcess(bus: encoder.bus)
        let feed = try ExternalTool.run(
            BuiltProducts.path("wavecast"),
            ["feed", scratch.path("voice.wav"), "--stream", "stall", "--loop", "--encoder", encoder.ingest]
        )
        #expect(feed.status == 0, "feed failed: \(feed.stderr)")

        let figures = try runFaultClients([
            "stall", gateway.webSocketURL("stall"), String(gateway.child.pid),
            "http://127.0.0.1:\(gateway.port)/metrics",
        ])
        let missing = figures.int("missing")
        let skipped = figures.int("skipped")
        #expect(figures.int("out_of_order") == 0, "chunks out of order")
        // What the listener did not get was skipped by the gateway's policy, and counted.
        #expect(missing <= skipped, "\(missing) chunks missing, only \(skipped) counted as skipped")
        // The catch-up is bounded: at most the per-stream backlog (100 chunks) at once.
        #expect(figures.int("max_chunks_in_100ms") <= 110, "unbounded burst")
        let caughtUp = try #require(figures["caught_up_seconds"] as? Double, "never on time again")
        #expect(caughtUp <= 3, "took \(caughtUp) s to be on time again")
        #expect(figures.double("spread_after_3s_ms") < 60, "not on time after the catch-up")
        #expect(figures.double("new_client_first_chunk_ms") < 1000, "a new client was not served")
        // The backlog the bus handed over at the resume goes out at once (bounded, above), so the
        // listener is back at the encoder's live edge instead of staying 5 s behind it.
        #expect(figures.double("behind_live_added_s") < 1, "listeners stay behind live after the stall")
        #expect(figures.int("new_client_chunks") >= 10)
        #expect(gateway.stop() == 0)
        #expect(encoder.stop() == 0)
    }

    /// The issue's scale: 2,000 connect-and-drop over 2 s, 200 half-sent handshakes held open
    /// (slowloris), one client that never answers a ping. New clients get the first byte of their
    /// 101 within 100 ms, a normal listener keeps receiving on time, the gateway itself closes the
    /// slowloris on its request timeout and the silent client on its idle timeout, and its
    /// descriptors and memory return to where they were.
    @Test func connectionAbuseLeavesListenersAndNewClientsServed() throws {
        let scratch = try ScratchDirectory()
        try TestAudio.writeVoiceWAV(at: scratch.path("voice.wav"), text: "Abuse test. Many connections come and go.")
        let encoder = try EncoderProcess()
        try encoder.waitForHeartbeat()
        // Short timeouts so the test sees the gateway close the abusers (defaults: 10 s, 20 s, 60 s).
        let requestTimeout = 3.0
        let idleTimeout = 3.0
        let gateway = try GatewayProcess(
            bus: encoder.bus,
            arguments: [
                "--request-timeout-ms", "\(Int(requestTimeout * 1000))", "--ping-interval-ms", "1000",
                "--idle-timeout-ms", "\(Int(idleTimeout * 1000))",
            ]
        )
        let feed = try ExternalTool.run(
            BuiltProducts.path("wavecast"),
            ["feed", scratch.path("voice.wav"), "--stream", "abuse", "--loop", "--encoder", encoder.ingest]
        )
        #expect(feed.status == 0, "feed failed: \(feed.stderr)")

        // Two rounds, one after the other: the second shows whether each round leaves memory behind.
        let figures = try runFaultClients([
            "abuse", "127.0.0.1", String(gateway.port), "abuse", String(gateway.child.pid),
            String(requestTimeout), String(idleTimeout), "2",
        ])
        let rounds = figures["rounds"] as? [[String: Any]] ?? []
        #expect(rounds.count == 2)
        for (index, round) in rounds.enumerated() {
            let name = "round \(index + 1)"
            #expect(round.int("connect_and_drop") == 2000)
            #expect(round.int("connect_and_drop_failures") == 0, "\(name): connects refused during the flood")
            #expect(round.double("connect_and_drop_seconds") < 4, "\(name): the flood took over 4 s, not about 2")
            // New clients, while the flood runs and the slowloris are held, get their 101 at once.
            #expect(round.int("probes_upgraded") == round.int("probes"), "\(name): a new client was refused")
            // Within 100 ms (p95; measured max 5–15 ms), and no probe an outlier of a busy 2-core machine away.
            #expect(round.double("first_byte_ms_p95") < 100, "\(name): new clients waited for their 101")
            #expect(round.double("first_byte_ms_max") < 300, "\(name): a new client waited for its 101")
            // Every slowloris is closed by the gateway (EOF before this side lets go), on the request timeout.
            #expect(round.int("slowloris_held") == 200)
            #expect(round.int("slowloris_closed_by_gateway") == 200, "\(name): slowloris connections left open")
            #expect(round.int("slowloris_answered") == 0, "\(name): a half-sent request was answered")
            #expect(round.double("slowloris_close_s_min") > requestTimeout - 0.5, "\(name): closed too early")
            #expect(round.double("slowloris_close_s_max") < requestTimeout + 2.5, "\(name): closed too late")
            // The silent client is pinged, does not answer, and is closed (1001, or EOF alone if the
            // frame is lost) after the idle timeout; the idle sweep runs once a second.
            #expect(round["silent_client_upgraded"] as? Bool == true)
            #expect(round.int("silent_client_pings") >= 1, "\(name): the silent client was never pinged")
            #expect(round["silent_client_closed_by_gateway"] as? Bool == true, "\(name): silent client not closed")
            let code = round.int("silent_client_close_code")
            #expect(code == 1001 || code == -1, "\(name): silent client closed with \(code)")
            #expect(round.double("silent_client_closed_after_s") < idleTimeout + 3, "\(name): closed too late")
            // The normal listener stays on time.
            #expect(round.int("listener_chunks_during_abuse") >= 40, "\(name): the normal listener starved")
            #expect(round.double("listener_spread_during_ms") < 100, "\(name): the normal listener fell behind")
            #expect(
                round.int("fds_after") <= figures.int("fds_before") + 2,
                "\(name): descriptors did not return: \(figures.int("fds_before")) → \(round.int("fds_after"))"
            )
        }
        #expect(figures.int("listener_missing") == 0, "the normal listener lost chunks")
        // Memory returns. The first round leaves about 2 MiB more resident (measured 2.0–2.1 MiB),
        // most likely the allocator keeping freed pages (glibc's per-thread arenas) at the peak's
        // size; it does not grow again: later rounds added 0–44 KiB each (4 rounds by hand: +2,076,
        // +24, +4, +0 KiB). So: ≤ 8 MiB after the first round (four times what was measured), and
        // ≤ 1 MiB more after the second, which a leak of 500 bytes per connection (2,200
        // connections a round) would pass.
        let rssBefore = figures.int("rss_kib_before")
        let rssFirst = rounds.first?.int("rss_kib_after") ?? -1
        let rssSecond = rounds.last?.int("rss_kib_after") ?? -1
        #expect(rssBefore > 0 && rssFirst <= rssBefore + 8 * 1024, "RSS \(rssBefore) → \(rssFirst) KiB")
        #expect(rssSecond <= rssFirst + 1024, "RSS grew again in round 2: \(rssFirst) → \(rssSecond) KiB")
        #expect(gateway.stop() == 0)
        #expect(encoder.stop() == 0)
    }

    /// One stalled reader among 1,000 clients: it is closed (1013) within the lag limit (plus the
    /// time to fill its buffers) of stalling, and the other 999 (`wavecast loadtest`) lose nothing
    /// and keep their lateness p99.
    @Test func stalledReaderAmongAThousandIsClosedAndOthersKeepTheirLateness() throws {
        let scratch = try ScratchDirectory()
        try TestAudio.writeVoiceWAV(
            at: scratch.path("voice.wav"),
            text: "Stalled reader test. One client stops reading."
        )
        // 32 kbit/s (288-byte frames) fills a stalled client's buffers in seconds (as in SlowClientTests).
        let encoder = try EncoderProcess(arguments: ["--bitrate", "32"])
        try encoder.waitForHeartbeat()
        let lagMs = 1000
        let gateway = try GatewayProcess(bus: encoder.bus, arguments: ["--max-client-lag-ms", String(lagMs)])
        let feed = try ExternalTool.run(
            BuiltProducts.path("wavecast"),
            ["feed", scratch.path("voice.wav"), "--stream", "stalled", "--loop", "--encoder", encoder.ingest]
        )
        #expect(feed.status == 0, "feed failed: \(feed.stderr)")

        // Three loadtests of 999 clients, 12 s each after a 2 s ramp: alone; beside one more
        // listener (a 2 KiB receive buffer) that reads normally, then stops reading 6 s in; alone again.
        let figures = try runFaultClients(
            [
                "stalled", "127.0.0.1", String(gateway.port), "stalled", "http://127.0.0.1:\(gateway.port)/metrics",
                BuiltProducts.path("wavecast"), "999", "12", String(lagMs), "ABA",
            ],
            timeout: .seconds(180)
        )
        #expect(figures["stalled_upgraded"] as? Bool == true)
        #expect(figures.int("stalled_bytes_read_before") > 0, "the stalled reader was never served")
        #expect(figures.int("slow_client_closes") == 1, "the stalled reader was not closed as too slow")
        // Seen from the gateway's end of the connection (/proc/net/tcp), which asks the gateway
        // nothing: its buffers (2 KiB, the gateway's 4 KiB of unsent data and NIO's 4 KiB high
        // watermark) fill in about 2 s, the lag limit runs (1 s), the gateway queues the 1013 close
        // and, as a stalled reader never lets it out, closes the socket 2 s later (ListenerHandler).
        let closedAfter = figures.double("stalled_closed_after_s")
        #expect(closedAfter < Double(lagMs) / 1000 + 5, "closed \(closedAfter) s after it stopped reading")
        // The close frame gets out only if it fits in what the stalled socket still takes; else EOF alone.
        let code = figures.int("stalled_close_code")
        #expect(code == 1013 || code == -1, "closed with \(code)")
        #expect(figures["stalled_eof"] as? Bool == true, "the stalled reader's connection was not closed")
        let runs = figures["runs"] as? [[String: Any]] ?? []
        #expect(runs.count == 3)
        for (index, run) in runs.enumerated() {
            let stalled = run["stalled_reader"] as? Bool == true
            let name = "loadtest \(index + 1)\(stalled ? " (with the stalled reader)" : "")"
            #expect(run.int("connected") == 999 && run.int("failed") == 0, "\(name): not all connected")
            #expect(run.int("missing") == 0, "\(name): chunks missing")
            #expect(run.int("duplicates") == 0, "\(name): duplicate chunks")
            #expect((run["closes"] as? [String: Any])?.isEmpty == true, "\(name): clients closed by the gateway")
            #expect(run.int("open_at_end") == 999, "\(name): clients lost before the end")
            #expect(run.int("slow_client_closes") == (stalled ? 1 : 0), "\(name): slow-client closes")
        }
        let p99 = runs.map { ($0["lateness_ms"] as? [String: Any] ?? [:]).double("p99") }
        // Against the worse of the two runs around it, with room for the noise of 999 clients and the gateway on
        // 2 cores: runs without a stall have measured p99 30–128 ms in one test (fresh-clone runs 26 and 27,
        // 7 December), and 33–290 ms while two fuzzers held the cores (docs/RELIABILITY.md). What this must catch
        // is a loop held up by the stalled socket: for the 1 s lag limit that is ~14 chunks late for all 999 (9 %
        // of the samples), a p99 near 1,000 ms.
        if p99.count == 3 {
            let baseline = max(p99[0], p99[2])
            #expect(
                p99[1] <= baseline + 250,
                "lateness p99 \(p99[0]) / \(p99[2]) ms alone, \(p99[1]) ms with the stall"
            )
        }
        print(
            "stalled reader among 999: closed \(closedAfter) s after it stopped reading "
                + "(close frame \(code == -1 ? "none, EOF" : String(code))); lateness p99 (ms) alone, with it, "
                + "alone: \(p99.map { String($0) }.joined(separator: ", "))"
        )
        #expect(gateway.stop() == 0)
        #expect(encoder.stop() == 0)
    }

    /// 1,000 malformed requests a second for 3 s on the ingest socket while 10 streams play: each
    /// gets its error reply, the streams stay gap-free and on time, nothing is published for them.
    @Test func malformedIngestFloodDoesNotDisturbStreams() throws {
        let http = try FreePort.tcp()
        let encoder = try EncoderProcess(arguments: ["--http", "127.0.0.1:\(http)"])
        try encoder.waitForHeartbeat()
        let figures = try runFaultClients([
            "ingest", encoder.ingest, encoder.bus, "http://127.0.0.1:\(http)/metrics",
        ])
        #expect(figures.int("bad_requests_sent") == 3000)
        #expect(figures.int("error_replies") == 3000, "not every bad request got its error")
        #expect(figures.int("ok_replies_to_bad") == 0)
        #expect(
            (figures["codes_expected"] as? [String: Int]) == (figures["codes_received"] as? [String: Int]),
            "error codes differ"
        )
        #expect(figures.int("plays_ok") == 10)
        let gaps = figures["gaps"] as? [String: Int] ?? [:]
        #expect(gaps.count == 10 && gaps.values.allSatisfy { $0 == 0 }, "gaps: \(gaps)")
        let chunks = figures["chunks_per_stream"] as? [String: Int] ?? [:]
        #expect(chunks.values.allSatisfy { $0 >= 100 }, "chunks: \(chunks)")
        #expect((figures["foreign_streams_published"] as? [String])?.isEmpty == true, "published for a bad request")
        // The encoder's own figure: the p99 of its publication lateness histogram over the flood (its bucket's
        // bound: 1, 2, 5, 10, 20, 50, 100 ms). This debug build's p99 is up to 10 ms in the seconds after ten plays
        // start, flood or not, and the flood (1,000 bad requests a second parsed on the reactor thread) has moved it
        // to 20 and 50 ms in some runs (release builds: scripts/bench, docs/RELIABILITY.md). Bounded so a reactor
        // that stalls publication behind the flood fails; the figures are printed.
        let during = figures.double("publication_p99_during_le_ms")
        let baseline = figures.double("publication_p99_baseline_le_ms")
        print("malformed ingest flood: the encoder's publication p99 ≤ \(baseline) ms before, ≤ \(during) ms during")
        #expect(during <= 100, "publication p99 ≤ \(baseline) ms before the flood, ≤ \(during) ms in it")
        // Where the Python subscriber receives, in the process that also sends the flood and handles its replies,
        // the flood's own cost shows too (10.8 and 15.8 ms in runs with the encoder's p99 ≤ 1 ms): a wide bound.
        let change = figures.double("lateness_p99_during_ms") - figures.double("lateness_p99_baseline_ms")
        #expect(change < 40, "arrival lateness p99 moved by \(change) ms")
        #expect(encoder.stop() == 0)
    }

    /// Kill -9 the encoder mid-stream, then start it again on the same endpoints: the gateway turns
    /// not ready and ready again without a restart and serves the next stream, and a feeder that
    /// sent its request while the encoder was down gets its reply once it is back.
    @Test func encoderRestartIsSurvivedAndAWaitingFeederGetsItsReply() throws {
        let scratch = try ScratchDirectory()
        try TestAudio.writeVoiceWAV(at: scratch.path("voice.wav"), text: "Restart test. The encoder comes back.")
        let endpoints = [
            "--ingest", "tcp://127.0.0.1:\(try FreePort.tcp())", "--publish", "tcp://127.0.0.1:\(try FreePort.tcp())",
        ]
        var encoder: EncoderProcess? = try EncoderProcess(arguments: endpoints)
        let ingest = try #require(encoder?.ingest)
        let gateway = try GatewayProcess(bus: try #require(encoder?.bus))
        try gateway.waitForStatus("/readyz", 200, timeout: .seconds(10))
        let wavecast = BuiltProducts.path("wavecast")
        let before = try ExternalTool.run(
            wavecast,
            ["feed", scratch.path("voice.wav"), "--stream", "before", "--loop", "--encoder", ingest]
        )
        #expect(before.status == 0, "feed failed: \(before.stderr)")

        // The crash: no `end`, no goodbye. The gateway notices the missing heartbeats.
        try #require(encoder).kill()
        encoder = nil
        try gateway.waitForStatus("/readyz", 503, timeout: .seconds(10))

        // A feeder sends while nothing listens: ZeroMQ holds the request until the encoder is back.
        let feeder = Process()
        feeder.executableURL = URL(fileURLWithPath: wavecast)
        feeder.arguments = [
            "feed", scratch.path("voice.wav"), "--stream", "after", "--loop", "--encoder", ingest, "--timeout", "30",
        ]
        let feederOutput = Pipe()
        feeder.standardError = feederOutput
        feeder.standardOutput = feederOutput
        try feeder.run()
        defer { if feeder.isRunning { kill(feeder.processIdentifier, SIGKILL) } }
        Thread.sleep(forTimeInterval: 1)
        #expect(feeder.isRunning, "the feeder gave up before the encoder was back")
        encoder = try EncoderProcess(arguments: endpoints)
        let deadline = ContinuousClock.now + .seconds(30)
        while feeder.isRunning && ContinuousClock.now < deadline { usleep(20_000) }
        #expect(!feeder.isRunning && feeder.terminationStatus == 0, "the waiting feeder got no ack")
        feeder.waitUntilExit()
        let said = String(decoding: feederOutput.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)

        // The same gateway process, ready again, serves the new stream.
        try gateway.waitForStatus("/readyz", 200, timeout: .seconds(10))
        let listen = try ExternalTool.run(wavecast, ["listen", gateway.webSocketURL("after"), "--seconds", "3"])
        let chunks =
            listen.stderr.split(separator: "\n").first { $0.hasPrefix("chunks: ") }
            .flatMap { Int($0.dropFirst(8).prefix { $0.isNumber }) } ?? 0
        #expect(chunks >= 20, "the next stream was not served: \(listen.stderr)")
        print(
            "[faults] encoder restart: the waiting feeder said \(said.split(separator: "\n").last ?? ""); then \(chunks) chunks in 3 s"
        )
        #expect(gateway.stop() == 0)
        #expect(encoder?.stop() == 0)
    }

    /// `--max-clients`, `--max-streams` and `--max-message-bytes`: a clear refusal at each limit.
    @Test func resourceLimitsRefuseClearly() throws {
        let encoder = try EncoderProcess(arguments: ["--max-streams", "2", "--max-message-bytes", "4096"])
        let gateway = try GatewayProcess(bus: encoder.bus, arguments: ["--max-clients", "3"])
        let figures = try runFaultClients(["limits", encoder.ingest, gateway.webSocketURL("limits"), "3", "4096"])
        #expect(figures.int("over_client_limit") == 503)
        #expect(figures["over_client_limit_retry_after"] as? String == "1")
        #expect(figures["served_after_limit_freed"] as? Bool == true)
        #expect(figures["open_replies"] as? [String] == ["ok", "ok", "too_many_streams"])
        #expect(figures["open_after_stop"] as? String == "ok")
        // Exactly at the limit the request is read and judged on its content (not a WAV file).
        #expect(figures["at_limit"] as? String == "invalid_wav")
        #expect(figures["over_limit"] as? String == "payload_too_large")
        #expect(figures["far_over_limit"] as? String == "payload_too_large")
        #expect(gateway.stop() == 0)
        #expect(encoder.stop() == 0)
    }
}

/// Runs Scripts/fault_clients.py with `arguments` and returns the JSON object it prints last.
func runFaultClients(_ arguments: [String], timeout: Duration = .seconds(90)) throws -> [String: Any] {
    let client = try PythonClient(
        "fault_clients.py \(arguments[0])",
        scriptAt: EndToEndScript.path("fault_clients.py"),
        arguments: arguments
    )
    defer { print("fault_clients.py \(arguments[0]): \(client.child.output(waiting: true))") }
    return try client.report(timeout: timeout)
}

extension Dictionary where Key == String, Value == Any {
    /// A number of the figures as an Int (-1 when absent).
    func int(_ key: String) -> Int { (self[key] as? NSNumber)?.intValue ?? -1 }
    /// A number of the figures as a Double (infinity when absent, so a bound fails).
    func double(_ key: String) -> Double { (self[key] as? NSNumber)?.doubleValue ?? .infinity }
}
