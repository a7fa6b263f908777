import Foundation
import Testing
import WavecastCore
import WavecastTestSupport

/// Two real gateways behind one encoder: killing one with SIGKILL costs the other's listeners
/// nothing, and the killed one's listeners are served again when they reconnect.
@Suite(.serialized, .onOwnThreads)
struct GatewayFailoverTests {
    @Test func killingAGatewayLosesNothingElsewhere() throws {
        let scratch = try ScratchDirectory()
        try TestAudio.writeVoiceWAV(
            at: scratch.path("voice.wav"),
            text: "Failover test. One gateway goes away; the other carries on."
        )
        let encoder = try EncoderProcess()
        try encoder.waitForHeartbeat()
        let gatewayA = try GatewayProcess(bus: encoder.bus)
        let gatewayB = try GatewayProcess(bus: encoder.bus)
        let feed = try ExternalTool.run(
            BuiltProducts.path("wavecast"),
            ["feed", scratch.path("voice.wav"), "--stream", "demo", "--loop", "--encoder", encoder.ingest]
        )
        #expect(feed.status == 0, "feed failed: \(feed.stderr)")

        // Every listener's first chunk ("ready"), then gateway A killed without warning.
        let clients = try PythonClient(
            "failover",
            scriptAt: EndToEndScript.path("failover_clients.py"),
            arguments: [gatewayA.webSocketURL("demo"), gatewayB.webSocketURL("demo"), "5"],
            readyLine: "ready",
            timeout: .seconds(20)
        )
        gatewayA.kill()

        let summary = try #require(try clients.report(timeout: .seconds(40)) as? [String: [String: Any]])
        for (name, record) in summary {
            let seqs = record["seqs"] as? [Int] ?? []
            if name.hasPrefix("b") {
                // B's listeners never reconnected and saw every sequence number, in order.
                #expect(record["reconnected"] as? Bool == false, "\(name) was disconnected")
                #expect(seqs.count >= 40, "\(name) got \(seqs.count) chunks")
                #expect(seqs == Array((seqs.first ?? 0)..<((seqs.first ?? 0) + seqs.count)), "\(name) lost chunks")
            } else {
                #expect(record["reconnected"] as? Bool == true, "\(name) never noticed gateway A died")
                #expect((record["after_reconnect"] as? Int ?? 0) >= 10, "\(name) was not served after reconnecting")
            }
        }
        #expect(gatewayB.stop() == 0)
        #expect(encoder.stop() == 0)
    }
}
