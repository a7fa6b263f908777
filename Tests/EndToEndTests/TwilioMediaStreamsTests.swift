import Foundation
import Testing
import WavecastTestSupport

/// The Twilio Media Streams endpoint against the real `wavecast-encoder` and `wavecast-gateway`, from clients we did
/// not write: `streamdouble` (a Twilio Media Streams simulator from PyPI) places a call and records what it hears,
/// Python `websockets` sends every message and error case by hand, and pyzmq feeds the encoder and measures the bus
/// (Scripts/twilio_call.py). With tokens on, Python `websockets` places calls carrying each kind of token
/// (Scripts/twilio_tokens.py).
@Suite(.serialized, .onOwnThreads)
struct TwilioMediaStreamsTests {
    @Test func aStreamdoubleCallHearsTheStreamPacedAndHonoursBargeInAndEveryCaseIsAnswered() throws {
        try PythonClient.requireModule("streamdouble")
        try PythonClient.requireModule("zmq")
        let encoder = try EncoderProcess()
        try encoder.waitForHeartbeat()
        let gateway = try GatewayProcess(bus: encoder.bus, arguments: ["--twilio-stream-wait-ms", "1500"])
        try gateway.waitUntilReady(timeout: .seconds(15))
        let client = try PythonClient(
            "Twilio call",
            scriptAt: EndToEndScript.path("twilio_call.py"),
            arguments: [encoder.ingest, encoder.bus, String(gateway.port)]
        )
        let report = try client.report(timeout: .seconds(120))
        print("[measure] twilio report: \(client.reportLine ?? "")")

        // renditions on open/play: typed errors.
        let errors = try #require(report["renditions_errors"] as? [String: Any])
        #expect(errors["unknown"] as? String == "unknown_rendition")
        #expect(errors["duplicate"] as? String == "duplicate_rendition")
        #expect(errors["no_mp3"] as? String == "mp3_rendition_required")
        #expect(errors["not_array"] as? String == "invalid_field")
        #expect(errors["empty"] as? String == "invalid_field")
        #expect(errors["accepted"] as? Bool == true)

        // The bus: µ-law is 8,000 bytes a second of audio, plus a header per chunk, on its own topic.
        let bus = try #require(report["bus"] as? [String: Any])
        let mp3Rate = bus["mp3_bytes_per_second"] as? Double ?? 0
        let muLawRate = bus["mulaw_bytes_per_second"] as? Double ?? 0
        print("[measure] bus bytes per second of one stream: MP3 topic \(mp3Rate), µ-law topic \(muLawRate)")
        #expect((1_000...2_500).contains(mp3Rate), "\(mp3Rate)")
        #expect((8_000...9_500).contains(muLawRate), "\(muLawRate)")

        // The streamdouble call: the tone, paced, then cut by the clear.
        let call = try #require(report["call"] as? [String: Any])
        #expect(call["violations"] as? [String] == [], "streamdouble saw protocol violations")
        #expect(call["unknown_events"] as? [String] == [])
        let peak = call["peak_hz"] as? Double ?? 0
        #expect(abs(peak - 440) < 10, "the call heard a peak at \(peak) Hz, not the 440 Hz tone")
        let share = call["tone_share"] as? Double ?? 0
        #expect(share > 0.5, "only \(share) of the spectrum is near 440 Hz: noise, not the tone")
        let rms = call["rms"] as? Double ?? 0
        #expect((0.25...0.45).contains(rms), "level \(rms); the tone was fed at 0.5 peak (0.35 RMS)")
        let rate = call["bytes_per_second"] as? Double ?? 0
        #expect((6_400...9_600).contains(rate), "µ-law arrived at \(rate) bytes/s; real time is 8,000")
        #expect(call["clears_received"] as? Int == 1)
        #expect(call["media_after_clear"] as? Int == 0, "media arrived after Twilio's clear")
        let toClear = call["clear_after_request_ms"] as? Double ?? .infinity
        let lastMedia = call["last_media_after_request_ms"] as? Double ?? .infinity
        print("[measure] Twilio: clear request → clear at the call \(toClear) ms; last media \(lastMedia) ms after it")
        #expect(toClear < 250, "Twilio's clear came \(toClear) ms after the request")
        #expect(lastMedia < 72 + 150, "a media message came \(lastMedia) ms after the clear request")
        #expect(call["payload_sizes"] as? [Int] == [576], "one 72 ms chunk of µ-law per media message")

        // Marks: Twilio `mark` for ours, its play-back reported as played; the one the barge-in cut, cleared.
        #expect(call["marks_received"] as? [String] == ["first-second"], "\(call["marks_received"] ?? "none")")
        #expect(call["marks_echoed"] as? [String] == ["first-second"], "\(call["marks_echoed"] ?? "none")")
        let marks = try #require(call["marks"] as? [String: [String: Any]])
        #expect(marks["first-second"]?["state"] as? String == "played", "\(marks)")
        #expect(marks["first-second"]?["sent"] as? Int == 1 && marks["first-second"]?["echoed"] as? Int == 1)
        #expect(marks["end-of-tone"]?["state"] as? String == "cleared", "\(marks)")

        // Every message and error case by hand.
        let raw = try #require(report["raw"] as? [String: [String: Any]])
        func code(_ name: String) -> Int? { raw[name]?["close_code"] as? Int }
        #expect(code("bad_json_before_start") == 4400)
        #expect(code("media_before_start") == 4400)
        #expect(code("unknown_event_before_start") == 4400)
        #expect(code("start_without_sid") == 4400)
        #expect(code("no_stream_named") == 4404)
        #expect(code("invalid_stream_parameter") == 4404)
        #expect(code("unknown_stream") == 4404, "\(raw["unknown_stream"] ?? [:])")
        #expect(code("without_mulaw") == 4415, "\(raw["without_mulaw"] ?? [:])")
        #expect((raw["without_mulaw"]?["close_reason"] as? String)?.contains("no µ-law rendition") == true)
        #expect(raw["invalid_path"]?["status"] as? Int == 400)
        #expect(code("second_start") == 4400)
        let wholeCall = try #require(raw["call"])
        #expect(wholeCall["close_code"] as? Int == 1000, "the call's stop closes it normally: \(wholeCall)")
        #expect((wholeCall["media"] as? Int ?? 0) >= 10, "the call heard the stream: \(wholeCall)")
        #expect(wholeCall["sids"] as? [String] == ["MZ" + String(repeating: "a", count: 32)])
        #expect(wholeCall["keys"] as? [String] == ["event", "media", "streamSid"])
        #expect(wholeCall["media_keys"] as? [String] == ["payload"])

        let metrics = try gateway.get("/metrics").body
        for line in [
            #"wavecast_gateway_twilio_ignored_messages_total{reason="invalid_json"} 1"#,
            #"wavecast_gateway_twilio_ignored_messages_total{reason="unknown_event"} 1"#,
            #"wavecast_gateway_twilio_ignored_messages_total{reason="malformed"} 1"#,
            "wavecast_gateway_twilio_dtmf_total 1",
            "wavecast_gateway_twilio_calls 0",
        ] {
            #expect(metrics.contains(line), "no '\(line)' in /metrics")
        }
        #expect(metrics.contains("wavecast_gateway_twilio_inbound_media_total"))
        #expect(gateway.stop() == 0, "gateway log:\n\(gateway.output(waiting: true))")
        #expect(encoder.stop() == 0)
    }

    /// Tokens on: a bad or another stream's URL token is refused before the upgrade (401, 403); a call without one,
    /// or with another stream's in `customParameters.token`, is closed at `start` (4401, 4403); a good one hears
    /// the stream until its `stop`; and a call whose token (from the parameters or the URL) runs out is closed with
    /// 4401 once its `exp` has passed, having heard the stream until then.
    @Test func callsNeedATokenForTheirStreamAndEndWhenItRunsOut() throws {
        try PythonClient.requireModule("websockets")
        try PythonClient.requireModule("zmq")
        let keys = try TestKeys()
        let encoder = try EncoderProcess()
        try encoder.waitForHeartbeat()
        let gateway = try GatewayProcess(bus: encoder.bus, arguments: ["--token-secret-file", keys.tokenSecretFile])
        defer {
            _ = gateway.stop()
            _ = encoder.stop()
        }
        try gateway.waitUntilReady(timeout: .seconds(15))
        // Minted the way a user mints them: `wavecast token`, with the gateway's secret.
        func mint(_ stream: String, ttl: String) throws -> String {
            let minted = try ExternalTool.run(
                BuiltProducts.path("wavecast"),
                ["token", "--stream", stream, "--ttl", ttl],
                environment: ["WAVECAST_TOKEN_SECRET_FILE": keys.tokenSecretFile]
            )
            guard minted.status == 0 else { throw HarnessError("wavecast token failed: \(minted.stderr)") }
            return minted.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        // The expiring tokens last long enough for the calls to start and hear the stream (the script plays it
        // first, then waits a second for the catalogue), and run out a few seconds into the calls.
        let expiringTTL: Int64 = 7
        let expires = Int64(Date().timeIntervalSince1970) + expiringTTL
        let tokens = [
            "good": try mint("phone", ttl: "1h"), "other": try mint("elsewhere", ttl: "1h"),
            "expiring": try mint("phone", ttl: "\(expiringTTL)s"),
            "expiring_url": try mint("phone", ttl: "\(expiringTTL)s"),
        ]
        let tokensJSON = String(decoding: try JSONSerialization.data(withJSONObject: tokens), as: UTF8.self)
        let client = try PythonClient(
            "Twilio tokens",
            scriptAt: EndToEndScript.path("twilio_tokens.py"),
            arguments: [encoder.ingest, String(gateway.port)],
            environment: ["WAVECAST_TEST_TOKENS": tokensJSON]
        )
        let report = try client.report(timeout: .seconds(60))
        print("[measure] twilio tokens report: \(client.reportLine ?? "")")
        #expect(report["played"] as? Bool == true)
        let cases = try #require(report["cases"] as? [String: [String: Any]])
        func value<T>(_ name: String, _ key: String) -> T? { cases[name]?[key] as? T }

        // Refused before the upgrade: nothing to close.
        #expect(value("url_bad", "status") == 401, "\(cases["url_bad"] ?? [:])")
        #expect(value("url_other_stream", "status") == 403, "\(cases["url_other_stream"] ?? [:])")
        // Upgraded, then closed at `start`, before any audio.
        #expect(value("no_token", "close_code") == 4401, "\(cases["no_token"] ?? [:])")
        #expect(value("no_token", "media") == 0)
        #expect(value("parameter_other_stream", "close_code") == 4403, "\(cases["parameter_other_stream"] ?? [:])")
        #expect(value("parameter_other_stream", "media") == 0)
        // A good token in the parameters: the stream, paced (3 s is about 41 chunks of 72 ms), until `stop`.
        #expect((value("parameter_good", "media") ?? 0) >= 20, "\(cases["parameter_good"] ?? [:])")
        #expect(value("parameter_good", "close_code") == 1000, "\(cases["parameter_good"] ?? [:])")
        // Running out: heard the stream, then 4401 no earlier than `exp` and within the gateway's once-a-second look
        // (plus scheduling slack).
        for name in ["parameter_expiring", "url_expiring"] {
            #expect(value(name, "close_code") == 4401, "\(name): \(cases[name] ?? [:])")
            let reason: String = value(name, "close_reason") ?? ""
            #expect(reason.contains("expired"), "\(name): \(reason)")
            #expect((value(name, "media") ?? 0) >= 20, "\(name) heard the stream before: \(cases[name] ?? [:])")
            let closedAt: Double = value(name, "closed_at") ?? 0
            #expect(
                closedAt >= Double(expires) - 1 && closedAt <= Double(expires) + 4,
                "\(name) closed at \(closedAt); its token ran out at \(expires)"
            )
        }

        let metrics = try gateway.get("/metrics").body
        for (name, expected) in [
            ("wavecast_gateway_expired_token_closes_total", 2.0),
            (#"wavecast_gateway_twilio_closes_total{code="4401"}"#, 3),
            (#"wavecast_gateway_twilio_closes_total{code="4403"}"#, 1),
            ("wavecast_gateway_twilio_calls", 0),
        ] {
            #expect(RawWebSocket.metric(name, in: metrics) == expected, "\(name) in /metrics")
        }
    }
}
