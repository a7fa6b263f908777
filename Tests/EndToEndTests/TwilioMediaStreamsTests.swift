import Foundation
import Testing
import WavecastTestSupport

/// The Twilio Media Streams endpoint against the real `wavecast-encoder` and `wavecast-gateway`, from clients we did
/// not write: `streamdouble` (a Twilio Media Streams simulator from PyPI) places a call and records what it hears,
/// Python `websockets` sends every message and error case by hand, and pyzmq feeds the encoder and measures the bus
/// (Scripts/twilio_call.py).
@Suite(.serialized)
struct TwilioMediaStreamsTests {
    @Test func aStreamdoubleCallHearsTheStreamPacedAndHonoursBargeInAndEveryCaseIsAnswered() throws {
        try PythonClient.requireModule("streamdouble")
        try PythonClient.requireModule("zmq")
        let encoder = try EncoderProcess()
        try encoder.waitForHeartbeat()
        let gateway = try GatewayProcess(bus: encoder.bus, arguments: ["--twilio-stream-wait-ms", "1500"])
        try gateway.waitUntilReady(timeout: .seconds(15))
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Scripts/twilio_call.py").path
        let client = try ChildProcess("python3", [script, encoder.ingest, encoder.bus, String(gateway.port)])
        if client.waitForExit(timeout: .seconds(120)) == nil { client.kill() }
        let output = client.output(waiting: true)
        let line = try #require(output.split(separator: "\n").last { $0.hasPrefix("{") }, "script output:\n\(output)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        print("[measure] twilio report: \(line)")

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
}
