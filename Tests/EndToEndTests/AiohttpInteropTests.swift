import Foundation
import Testing
import WavecastTestSupport

/// A second WebSocket client we did not write, Python `aiohttp`'s, against the real `wavecast-gateway`
/// and `wavecast-encoder` executables: a whole stream with continuous sequence numbers, a ping answered
/// with its pong, and a clean close with 1000.
@Suite(.serialized, .onOwnThreads)
struct AiohttpInteropTests {
    @Test func aiohttpClientGetsTheStreamPingsAndClosesCleanly() throws {
        try PythonClient.requireModule("aiohttp")
        let scratch = try ScratchDirectory()
        let wav = scratch.path("voice.wav")
        try TestAudio.writeVoiceWAV(at: wav, text: "An aiohttp client listens to this voice through the gateway.")
        let encoder = try EncoderProcess()
        let gateway = try GatewayProcess(bus: encoder.bus, arguments: ["--jitter-ms", "20", "--burst-ms", "300"])
        try gateway.waitUntilReady(timeout: .seconds(15))

        let client = try PythonClient(
            "aiohttp",
            script: Self.script,
            arguments: ["ws://127.0.0.1:\(gateway.port)/ws/aiohttp"]
        )
        let feed = try ExternalTool.run(
            BuiltProducts.path("wavecast"),
            ["feed", wav, "--stream", "aiohttp", "--encoder", encoder.ingest]
        )
        #expect(feed.status == 0, "feed failed: \(feed.stderr)")
        let report = try client.report()

        #expect((report["events"] as? [String])?.first == "start")
        #expect(report["end_reason"] as? String == "finished")
        let sequence = report["seq"] as? [Int] ?? []
        #expect(sequence.count > 20, "\(sequence.count) chunks")
        #expect(sequence == Array(0..<sequence.count), "sequence numbers from 0 without a gap")
        #expect(report["payload_bytes"] as? Int ?? 0 > 0)
        #expect(report["pong"] as? String == "aiohttp ping", "the pong carries the ping's payload")
        #expect(report["close_code"] as? Int == 1000, "the gateway echoed the close")
        #expect(report["unexpected"] as? [String] == [], "frames aiohttp did not expect")
        #expect(gateway.stop() == 0, "gateway log:\n\(gateway.output(waiting: true))")
        #expect(encoder.stop() == 0)
    }
}

extension AiohttpInteropTests {
    /// Python `aiohttp`'s WebSocket client, run as a ``PythonClient``: it prints `connected` once the handshake is
    /// done, reads events until `end`, pings, waits for the pong, closes with 1000, and prints a JSON report.
    static let script = #"""
        import asyncio, base64, json, sys
        import aiohttp

        async def main(url):
            report = {"events": [], "seq": [], "payload_bytes": 0, "end_reason": None, "pong": None,
                      "close_code": None, "unexpected": []}
            async with aiohttp.ClientSession() as session:
                # autoping off: aiohttp hands pings and pongs to us instead of answering them itself.
                async with session.ws_connect(url, autoping=False, autoclose=False, heartbeat=None) as ws:
                    print("connected", flush=True)
                    while report["end_reason"] is None:
                        msg = await ws.receive(timeout=30)
                        if msg.type != aiohttp.WSMsgType.TEXT:
                            report["unexpected"].append(str(msg.type))
                            break
                        event = json.loads(msg.data)
                        report["events"].append(event["event"])
                        if event["event"] == "chunk":
                            report["seq"].append(event["media"]["seq"])
                            report["payload_bytes"] += len(base64.b64decode(event["media"]["payload"], validate=True))
                        elif event["event"] == "end":
                            report["end_reason"] = event["reason"]
                    await ws.ping(b"aiohttp ping")
                    msg = await ws.receive(timeout=5)
                    if msg.type == aiohttp.WSMsgType.PONG:
                        report["pong"] = msg.data.decode()
                    else:
                        report["unexpected"].append(str(msg.type))
                    await ws.close(code=aiohttp.WSCloseCode.OK, message=b"done")
                    report["close_code"] = ws.close_code
            print(json.dumps(report), flush=True)

        asyncio.run(main(sys.argv[1]))
        """#
}
