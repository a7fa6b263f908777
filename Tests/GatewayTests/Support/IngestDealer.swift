import Dispatch
import WavecastCore
import ZeroMQ

/// A DEALER connected to the encoder's ingest socket, to play files; blocking calls run on its own queue.
final class IngestDealer: @unchecked Sendable {
    // Thread safety: `socket` is touched only on `queue`, a serial queue: the queue is its lock.
    private let queue = DispatchQueue(label: "gateway-tests-ingest")
    private let socket: ZMQSocket

    init(context: ZMQContext, endpoint: String) throws {
        self.socket = try ZMQSocket(context: context, type: .dealer)
        try self.socket.setReceiveTimeout(milliseconds: 10_000)
        try self.socket.setSendTimeout(milliseconds: 10_000)
        try self.socket.connect(endpoint)
    }

    /// Sends `header` (and `payload`) and returns the JSON reply.
    func request(_ header: JSONObject, payload: [UInt8]? = nil) async throws -> JSONObject {
        let frames = [JSONValue.object(header).serializedBytes] + (payload.map { [$0] } ?? [])
        let reply = try await withCheckedThrowingContinuation { continuation in
            self.queue.async {
                continuation.resume(
                    with: Result {
                        try self.socket.send(frames)
                        return try self.socket.receive()
                    }
                )
            }
        }
        guard let reply, reply.count == 1, case .object(let object) = try JSONValue.parse(reply[0]) else {
            throw FixtureError("no JSON reply from the encoder to \(JSONValue.object(header).serialized)")
        }
        guard object["ok"] == .bool(true) else {
            throw FixtureError(
                "the encoder refused \(JSONValue.object(header).serialized): \(JSONValue.object(object).serialized)"
            )
        }
        return object
    }

    /// Plays `wav` on `stream`.
    @discardableResult
    func play(_ stream: String, _ wav: [UInt8]) async throws -> JSONObject {
        try await self.request(["op": "play", "stream": .string(stream)], payload: wav)
    }

    /// Stops `stream`.
    func stop(_ stream: String) async throws {
        _ = try await self.request(["op": "stop", "stream": .string(stream)])
    }

    /// Closes the socket (before its context goes away).
    func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            self.queue.async {
                self.socket.close()
                continuation.resume()
            }
        }
    }
}
