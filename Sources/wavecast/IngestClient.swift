import ArgumentParser
import WavecastCore
import ZeroMQ

/// A DEALER connection to an encoder's ingest socket: one request, one reply, with a deadline.
final class IngestClient {
    private let socket: ZMQSocket
    /// The endpoint it connected to: the encoder's key in a stream's ranking (``EncoderRoute``).
    let endpoint: String
    private var timeoutMilliseconds: Int
    private var nextID = 0

    init(context: ZMQContext, endpoint: String, timeoutSeconds: Double, curve: CurveOptions) throws {
        self.socket = try ZMQSocket(context: context, type: .dealer)
        self.timeoutMilliseconds = Int(timeoutSeconds * 1000)
        // A DEALER with no connected peer blocks on send: an encoder that is down, or one that refused
        // this client's CURVE handshake, must end in an error, not a hang.
        try self.socket.setSendTimeout(milliseconds: Int32(clamping: self.timeoutMilliseconds))
        try curve.apply(to: self.socket)
        try self.socket.connect(endpoint)
        self.endpoint = endpoint
        self.hint =
            curve.curveKeyFile == nil
            ? "is wavecast-encoder running, is --encoder right, and does it need a CURVE key (--curve-key-file)?"
            : "is wavecast-encoder running, is --encoder right, is --server-key-file its key, and is this "
                + "client's key on its --feeder-keys list?"
    }

    /// What to check when the encoder does not answer.
    let hint: String

    /// The request timeout in seconds, for messages.
    private var timeoutText: String { String(seconds: Double(self.timeoutMilliseconds) / 1000) }

    /// Changes how long each later request waits to be sent and for its reply.
    func setTimeout(seconds: Double) throws {
        self.timeoutMilliseconds = Int(seconds * 1000)
        try self.socket.setSendTimeout(milliseconds: Int32(clamping: self.timeoutMilliseconds))
    }

    /// Whether the encoder answers a `status` request for `stream` within `seconds`, sending and replying
    /// together: the cheapest question it answers, so the time measures whether it is there, not how long a
    /// file takes to encode.
    ///
    /// A DEALER queues a request for a peer that is not there without a word, so this is how a feeder tells a
    /// lost encoder from a live one; any reply counts, an error included (a live encoder said it).
    func answers(stream: JSONValue, withinSeconds seconds: Double) throws -> Bool {
        let saved = self.timeoutMilliseconds
        defer { try? self.setTimeout(seconds: Double(saved) / 1000) }
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        try self.setTimeout(seconds: seconds)
        self.nextID += 1
        let header: JSONObject = ["op": "status", "stream": stream, "id": .number(Double(self.nextID))]
        do {
            try self.socket.send([JSONValue.object(header).serializedBytes])
        } catch {
            guard error.isWouldBlock else { throw error }
            return false
        }
        while true {
            let milliseconds = Int((deadline - ContinuousClock.now).wholeNanoseconds / 1_000_000)
            guard milliseconds > 0, try self.socket.waitReadable(timeoutMilliseconds: milliseconds),
                let reply = try self.socket.receive(dontWait: true)
            else { return false }
            guard let last = reply.last, case .object(let object)? = try? JSONValue.parse(last) else { return true }
            if let id = object["id"], id != .number(Double(self.nextID)) { continue }
            return true
        }
    }

    /// Sends `header` (plus `payload`) and returns the reply's JSON object.
    ///
    /// - Throws: ``CLIError`` when no reply comes in time or the reply is not a JSON object.
    func request(_ header: JSONObject, payload: [UInt8]? = nil) throws -> IngestReplyObject {
        self.nextID += 1
        var header = header
        header["id"] = .number(Double(self.nextID))
        var frames = [JSONValue.object(header).serializedBytes]
        if let payload { frames.append(payload) }
        do {
            try self.socket.send(frames)
        } catch {
            guard error.isWouldBlock else { throw error }
            throw CLIError(
                "could not send to the encoder at \(self.endpoint) within \(self.timeoutText) s; "
                    + self.hint
            )
        }
        // Replies to abandoned requests (after a timeout) are skipped by their id.
        while true {
            guard try self.socket.waitReadable(timeoutMilliseconds: self.timeoutMilliseconds),
                let reply = try self.socket.receive(dontWait: true)
            else {
                throw CLIError(
                    "no reply from the encoder at \(self.endpoint) within \(self.timeoutText) s; "
                        + self.hint
                )
            }
            guard let last = reply.last, case .object(let object)? = try? JSONValue.parse(last) else {
                throw CLIError("the encoder sent a reply that is not a JSON object")
            }
            if let id = object["id"], id != .number(Double(self.nextID)) { continue }
            return IngestReplyObject(object: object, text: String(decoding: last, as: UTF8.self))
        }
    }
}

/// A failure the CLI reports to the user, then exits with status 1.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// An encoder's reply: parsed, and as the text it came in (printed as is, fields in the encoder's order).
struct IngestReplyObject {
    var object: JSONObject
    var text: String

    /// True for an `{"ok":true}` reply.
    var isOK: Bool { self.object["ok"] == .bool(true) }

    /// The reply as one line of JSON, for printing.
    var line: String { self.text }

    /// A field of the reply.
    subscript(key: String) -> JSONValue? { self.object[key] }

    /// A numeric field as an integer (0 when absent).
    func integer(_ key: String) -> Int { self.object[key]?.integerValue ?? 0 }
}

extension JSONObject {
    /// A numeric field as an integer (0 when absent).
    func integer(_ key: String) -> Int { self[key]?.integerValue ?? 0 }
}
