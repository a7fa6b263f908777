import WavecastCore
import ZeroMQ

/// Starts looping plays of one WAV file on an encoder: streams `s0` … `s{N-1}`, zero-padded like the load tool's
/// `{n}` so that no id is a prefix of another (ZeroMQ's prefix subscriptions would deliver those too), pipelined
/// over one DEALER. A one-time set-up before a measurement: the plays' encoding is not measured.
enum LoopingPlays {
    /// Sends `count` looping plays of `wav` to `endpoint` (as a CURVE client with `curve`, for an encoder with
    /// CURVE) and waits (at most 500 s) for their replies.
    ///
    /// - Returns: how many the encoder accepted (it stops counting at the first refusal, which it prints).
    static func start(endpoint: String, wav: [UInt8], count: Int, curve: CurveClientKeys? = nil) -> Int {
        do {
            let context = try ZMQContext()
            let socket = try ZMQSocket(context: context, type: .dealer)
            defer { socket.close() }
            if let curve { try socket.makeCurveClient(curve) }
            try socket.setSendHighWaterMark(0)
            try socket.setReceiveHighWaterMark(0)
            try socket.setLinger(milliseconds: 0)
            try socket.connect(endpoint)
            let width = String(max(0, count - 1)).count
            for index in 0..<count {
                let number = String(index)
                let name = "s" + String(repeating: "0", count: width - number.count) + number
                let header: JSONObject = ["op": "play", "stream": .string(name), "loop": true]
                try socket.send([JSONValue.object(header).serializedBytes, wav])
            }
            var replies = IngestReplies()
            let deadline = SystemIO.monotonicNanoseconds() + 500_000_000_000
            // Bounded: `count` replies, the first refusal, or 500 s.
            while replies.ok < count && replies.total == replies.ok && SystemIO.monotonicNanoseconds() < deadline {
                guard try socket.waitReadable(timeoutMilliseconds: 1000) else { continue }
                while let frames = try socket.receive(dontWait: true) { replies.record(frames) }
            }
            if let refusal = replies.firstError { Report.warn("refused: \(refusal)") }
            return replies.ok
        } catch {
            Report.warn("the looping plays failed: \(error)")
            return 0
        }
    }
}
