import Foundation
import Testing

/// Faults with real processes on 127.0.0.1: a stopped gateway, connection abuse, ingest abuse and
/// resource limits. The clients are Scripts/fault_clients.py (Python `websockets` and pyzmq); each
/// mode prints one JSON line of figures, which the test prints and checks.
@Suite(.serialized)
struct FaultsTests {
    /// SIGSTOP a gateway for 5 s, then SIGCONT: the chunks it missed reach its listener merged (or
    /// are skipped, and counted), the burst is bounded, it is on time again within seconds, and it
    /// serves new clients.
    @Test func stoppedGatewayCatchesUpWithoutAnUnboundedBurst() throws {
        let scratch = try ScratchDirectory()
        try makeVoiceWAV(
            at: scratch.path("voice.wav"),
            text: "Stall test. The gateway is stopped for five seconds, then it carries on."
        )
        let encoder = try EncoderProcess()
        _ = try BusListener(bus: encoder.bus)
        let gateway = try GatewayProcess(bus: encoder.bus)
        let feed = try runCommand(
            BuiltProducts.path("wavecast"),
            ["feed", scratch.path("voice.wav"), "--stream", "stall", "--loop", "--encoder", encoder.ingest]
        )
        #expect(feed.status == 0, "feed failed: \(feed.stderr)")

        let figures = try runFaultClients([
            "stall", gateway.webSocketURL("stall"), String(gateway.process.processIdentifier),
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

    /// 500 connect-and-drop in a second, 100 half-sent handshakes held open, one client that never
    /// answers a ping: a normal listener keeps receiving on time, new clients get the first byte of
    /// their 101 within 100 ms, and the gateway's descriptors return to where they were.
    @Test func connectionAbuseLeavesListenersAndNewClientsServed() throws {
        let scratch = try ScratchDirectory()
        try makeVoiceWAV(at: scratch.path("voice.wav"), text: "Abuse test. Many connections come and go.")
        let encoder = try EncoderProcess()
        _ = try BusListener(bus: encoder.bus)
        let gateway = try GatewayProcess(bus: encoder.bus)
        let feed = try runCommand(
            BuiltProducts.path("wavecast"),
            ["feed", scratch.path("voice.wav"), "--stream", "abuse", "--loop", "--encoder", encoder.ingest]
        )
        #expect(feed.status == 0, "feed failed: \(feed.stderr)")

        let figures = try runFaultClients([
            "abuse", "127.0.0.1", String(gateway.port), "abuse", String(gateway.process.processIdentifier),
        ])
        #expect(figures.int("slowloris_held") == 100)
        #expect(figures["silent_client_upgraded"] as? Bool == true)
        #expect(figures.int("probes_upgraded") == figures.int("probes"), "a new client was refused")
        #expect(figures.double("first_byte_ms_max") < 100, "a new client waited for its 101")
        #expect(figures.int("listener_missing") == 0, "the normal listener lost chunks")
        #expect(figures.int("listener_chunks_during_abuse") >= 15, "the normal listener starved")
        #expect(figures.double("listener_spread_during_ms") < 100, "the normal listener fell behind")
        #expect(
            figures.int("fds_after") <= figures.int("fds_before") + 5,
            "descriptors did not return: \(figures.int("fds_before")) → \(figures.int("fds_after"))"
        )
        #expect(gateway.stop() == 0)
        #expect(encoder.stop() == 0)
    }

    /// 1,000 malformed requests a second for 3 s on the ingest socket while 5 streams play: each
    /// gets its error reply, the streams stay gap-free and on time, nothing is published for them.
    @Test func malformedIngestFloodDoesNotDisturbStreams() throws {
        let encoder = try EncoderProcess()
        _ = try BusListener(bus: encoder.bus)
        let figures = try runFaultClients(["ingest", encoder.ingest, encoder.bus])
        #expect(figures.int("bad_requests_sent") == 3000)
        #expect(figures.int("error_replies") == 3000, "not every bad request got its error")
        #expect(figures.int("ok_replies_to_bad") == 0)
        #expect(
            (figures["codes_expected"] as? [String: Int]) == (figures["codes_received"] as? [String: Int]),
            "error codes differ"
        )
        #expect(figures.int("plays_ok") == 5)
        let gaps = figures["gaps"] as? [String: Int] ?? [:]
        #expect(gaps.count == 5 && gaps.values.allSatisfy { $0 == 0 }, "gaps: \(gaps)")
        let chunks = figures["chunks_per_stream"] as? [String: Int] ?? [:]
        #expect(chunks.values.allSatisfy { $0 >= 100 }, "chunks: \(chunks)")
        #expect((figures["foreign_streams_published"] as? [String])?.isEmpty == true, "published for a bad request")
        let change = figures.double("lateness_p99_during_ms") - figures.double("lateness_p99_baseline_ms")
        #expect(change < 5, "publication lateness p99 moved by \(change) ms")
        #expect(encoder.stop() == 0)
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
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Scripts/fault_clients.py").path
    let result = try runCommand("python3", [script] + arguments, timeout: timeout)
    print("fault_clients.py \(arguments[0]): \(result.stdout)")
    guard result.status == 0,
        let line = result.stdout.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
    else {
        throw HarnessError("fault_clients.py \(arguments[0]) failed (\(result.status)):\n\(result.stderr)")
    }
    return object
}

extension Dictionary where Key == String, Value == Any {
    /// A number of the figures as an Int (-1 when absent).
    func int(_ key: String) -> Int { (self[key] as? NSNumber)?.intValue ?? -1 }
    /// A number of the figures as a Double (infinity when absent, so a bound fails).
    func double(_ key: String) -> Double { (self[key] as? NSNumber)?.doubleValue ?? .infinity }
}
