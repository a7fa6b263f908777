import Dispatch
public import WavecastCore
public import ZeroMQ

/// A feeder's socket (DEALER or REQ) connected to the encoder's ingest ROUTER.
///
/// Blocking ZeroMQ calls run on the client's own serial queue, never on a Swift concurrency thread.
public final class IngestClient: @unchecked Sendable {
    // `socket` is only touched on `queue`, a serial queue: the queue is its lock.
    private let queue: DispatchQueue
    private let socket: ZMQSocket
    /// DEALER or REQ.
    public let type: ZMQSocketType

    /// How long a reply may take before the request fails.
    public static let replyTimeoutMilliseconds: Int32 = 10_000

    /// Connects a `type` socket to `endpoint`, as a CURVE client when `curve` is given.
    public init(context: ZMQContext, endpoint: String, type: ZMQSocketType, curve: CurveClientKeys? = nil) throws {
        self.queue = DispatchQueue(label: "ingest-client-\(type)")
        self.type = type
        self.socket = try ZMQSocket(context: context, type: type)
        try self.socket.setReceiveTimeout(milliseconds: Self.replyTimeoutMilliseconds)
        try self.socket.setSendTimeout(milliseconds: Self.replyTimeoutMilliseconds)
        if let curve {
            try self.socket.makeCurveClient(curve)
        }
        try self.socket.connect(endpoint)
    }

    private func onQueue<Value: Sendable>(_ body: @escaping @Sendable (ZMQSocket) throws -> Value) async throws -> Value
    {
        try await withCheckedThrowingContinuation { continuation in
            self.queue.async {
                continuation.resume(with: Result { try body(self.socket) })
            }
        }
    }

    /// Sends one request as raw frames (a REQ socket adds its delimiter itself).
    public func send(frames: [[UInt8]]) async throws {
        try await self.onQueue { try $0.send(frames) }
    }

    /// Sends one request if the socket can queue it at once; false when it cannot (no peer let it in).
    public func sendIfPossible(frames: [[UInt8]]) async -> Bool {
        (try? await self.onQueue { try $0.send(frames, dontWait: true) }) != nil
    }

    /// Sends several requests back to back, in one hop to the socket's queue, so they arrive together.
    public func send(batch: [[[UInt8]]]) async throws {
        try await self.onQueue { socket in
            for frames in batch {
                try socket.send(frames)
            }
        }
    }

    /// Receives one reply.
    public func receive() async throws -> IngestResponse {
        let frames = try await self.onQueue { try $0.receive() }
        guard let frames else {
            throw HarnessError("no reply within \(Self.replyTimeoutMilliseconds) ms")
        }
        guard frames.count == 1 else {
            throw HarnessError("the reply has \(frames.count) frames; expected exactly one JSON frame")
        }
        return try IngestResponse(bytes: frames[0])
    }

    /// Receives one reply if one comes within `milliseconds`; `nil` if none does (a refused peer gets nothing).
    public func receive(within milliseconds: Int) async throws -> IngestResponse? {
        let frames = try await self.onQueue { socket -> [[UInt8]]? in
            guard try socket.waitReadable(timeoutMilliseconds: milliseconds) else { return nil }
            return try socket.receive(dontWait: true)
        }
        guard let frames else { return nil }
        guard frames.count == 1 else {
            throw HarnessError("the reply has \(frames.count) frames; expected exactly one JSON frame")
        }
        return try IngestResponse(bytes: frames[0])
    }

    /// Sends raw frames and waits for the reply.
    public func request(frames: [[UInt8]]) async throws -> IngestResponse {
        try await self.send(frames: frames)
        return try await self.receive()
    }

    /// Sends `header` (and `payload`, as a second frame) and waits for the reply.
    public func request(_ header: JSONObject, payload: [UInt8]? = nil) async throws -> IngestResponse {
        try await self.request(frames: Self.frames(header, payload: payload))
    }

    /// A request's frames: the header's JSON, then the payload if there is one.
    public static func frames(_ header: JSONObject, payload: [UInt8]? = nil) -> [[UInt8]] {
        [JSONValue.object(header).serializedBytes] + (payload.map { [$0] } ?? [])
    }

    /// Sends `header` (and `payload`) and returns the reply, which must be `"ok": true`.
    ///
    /// - Throws: ``HarnessError`` quoting the request and the reply when the encoder refused it.
    @discardableResult
    public func requireOK(_ header: JSONObject, payload: [UInt8]? = nil) async throws -> IngestResponse {
        let reply = try await self.request(header, payload: payload)
        guard reply.isOK else {
            throw HarnessError("the encoder refused \(JSONValue.object(header).serialized): \(reply)")
        }
        return reply
    }

    /// Plays `wav` on `stream` (with `loop` when given) and returns the encoder's `ok` reply.
    @discardableResult
    public func play(_ stream: String, _ wav: [UInt8], loop: Bool? = nil) async throws -> IngestResponse {
        var header: JSONObject = ["op": "play", "stream": .string(stream)]
        if let loop {
            header["loop"] = .bool(loop)
        }
        return try await self.requireOK(header, payload: wav)
    }

    /// Stops `stream`.
    public func stop(_ stream: String) async throws {
        try await self.requireOK(["op": "stop", "stream": .string(stream)])
    }

    /// Closes the socket (it must be closed before its context goes away).
    public func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            self.queue.async {
                self.socket.close()
                continuation.resume()
            }
        }
    }
}
