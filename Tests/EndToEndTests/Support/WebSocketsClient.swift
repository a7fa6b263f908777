import WavecastTestSupport

/// A WebSocket client we did not write: Python's `websockets`, as a ``PythonClient``.
///
/// In `stream` mode it reads events until `end` and writes the decoded payloads to `mp3`; in `until-closed` mode
/// it reads until the server closes, and reports the close code.
enum WebSocketsClient {
    /// Connects to `url` (offering `subprotocols`) and returns the running client, once its handshake is done.
    static func start(
        url: String,
        mode: String,
        mp3: String = "/dev/null",
        subprotocols: [String] = []
    ) throws -> PythonClient {
        try PythonClient(
            "websockets",
            script: Self.script,
            arguments: [url, mode, mp3, subprotocols.joined(separator: ",")]
        )
    }

    static let script = #"""
        import base64, json, sys
        from websockets.sync.client import connect
        from websockets.exceptions import ConnectionClosed

        url, mode, mp3 = sys.argv[1], sys.argv[2], sys.argv[3]
        subprotocols = [p for p in sys.argv[4].split(",") if p] if len(sys.argv) > 4 else []
        report = {"events": [], "seq": [], "sync": [], "close_code": None, "close_reason": None}
        payloads = bytearray()
        with connect(url, open_timeout=10, close_timeout=5, subprotocols=subprotocols or None) as ws:
            report["subprotocol"] = ws.subprotocol
            print("connected", flush=True)
            try:
                while True:
                    message = ws.recv(timeout=30)
                    event = json.loads(message)
                    report["events"].append(event["event"])
                    if event["event"] == "start":
                        report["start"] = event
                    elif event["event"] == "chunk":
                        media = event["media"]
                        report["seq"].append(media["seq"])
                        report["sync"].append(media["is_sync"])
                        payloads += base64.b64decode(media["payload"], validate=True)
                    elif event["event"] == "end":
                        report["end"] = event
                        if mode == "stream":
                            break
            except ConnectionClosed as closed:
                if closed.rcvd is not None:
                    report["close_code"] = closed.rcvd.code
                    report["close_reason"] = closed.rcvd.reason
        with open(mp3, "wb") as out:
            out.write(payloads)
        print(json.dumps(report), flush=True)
        """#
}
