import CZeroMQ
import Foundation
import NIOConcurrencyHelpers
import Synchronization

/// A ZeroMQ authentication handler (ZAP, RFC 27) for one context: every CURVE handshake on a
/// server socket of that context asks it, and only peers it allows get to send anything.
///
/// It binds `inproc://zeromq.zap.01` in the context and answers on a thread of its own, the only
/// one to touch its socket. Start it before binding any CURVE server socket: until a handler is
/// bound libzmq lets every handshake through.
public final class ZAPHandler: Sendable {
    /// What a peer presented, as the handler is asked about it.
    public struct Request: Sendable, Hashable {
        /// The ZAP domain of the server socket (``ZMQSocket/makeCurveServer(keys:domain:)``).
        public var domain: String
        /// The peer's IP address.
        public var address: String
        /// The security mechanism: `CURVE`, `NULL` or `PLAIN`.
        public var mechanism: String
        /// The client's public key (Z85) for CURVE.
        public var publicKey: String?
    }

    /// The handler's answer to one request.
    public enum Decision: Sendable, Hashable {
        /// Let the peer in; `userID` is attached to each of its messages (``ZMQSocket/receive(dontWait:userID:)``).
        case allow(userID: String)
        /// Refuse the handshake, with a reason libzmq logs on its side.
        case deny(reason: String)
    }

    private let stopRequested = Atomic<Bool>(false)
    private let finished = NIOLockedValueBox<Bool>(false)

    private init() {}

    /// Binds the handler in `context` and answers each request with `decide`, until ``stop()``.
    ///
    /// - Throws: ``ZMQError`` when the handler cannot bind (another is already bound in the context).
    public static func start(
        in context: ZMQContext,
        decide: @escaping @Sendable (Request) -> Decision
    ) throws(ZMQError) -> ZAPHandler {
        let handler = ZAPHandler()
        let bound = NIOLockedValueBox<Result<Void, ZMQError>?>(nil)
        Thread.start(named: "wc-zap") {
            let socket: ZMQSocket
            do throws(ZMQError) {
                socket = try ZMQSocket(context: context, type: .reply)
                try socket.bind("inproc://zeromq.zap.01")
            } catch {
                bound.withLockedValue { $0 = .failure(error) }
                return
            }
            bound.withLockedValue { $0 = .success(()) }
            handler.serve(socket, decide: decide)
            socket.close()
            handler.finished.withLockedValue { $0 = true }
        }
        // Binding takes microseconds; wait for it so no handshake can slip past an unbound handler.
        while true {
            if let result = bound.withLockedValue({ $0 }) {
                try result.get()
                return handler
            }
            usleep(200)
        }
    }

    /// Stops answering and closes the socket, waiting (briefly) for the thread to finish.
    public func stop() {
        self.stopRequested.store(true, ordering: .releasing)
        for _ in 0..<100 where !self.finished.withLockedValue({ $0 }) {
            usleep(2_000)
        }
    }

    private func serve(_ socket: ZMQSocket, decide: (Request) -> Decision) {
        while !self.stopRequested.load(ordering: .acquiring) {
            guard (try? socket.waitReadable(timeoutMilliseconds: 50)) == true else { continue }
            guard let frames = try? socket.receive(dontWait: true) else { continue }
            // version, request id, domain, address, identity, mechanism, credentials…
            guard frames.count >= 6, frames[0] == Array("1.0".utf8) else {
                try? socket.send([
                    Array("1.0".utf8), frames.count > 1 ? frames[1] : [], Array("400".utf8),
                    Array("malformed ZAP request".utf8), [], [],
                ])
                continue
            }
            let mechanism = String(decoding: frames[5], as: UTF8.self)
            let request = Request(
                domain: String(decoding: frames[2], as: UTF8.self),
                address: String(decoding: frames[3], as: UTF8.self),
                mechanism: mechanism,
                publicKey: mechanism == "CURVE" && frames.count > 6 ? Z85.encode(frames[6]) : nil
            )
            let reply: [[UInt8]]
            switch decide(request) {
            case .allow(let userID):
                reply = [Array("1.0".utf8), frames[1], Array("200".utf8), Array("OK".utf8), Array(userID.utf8), []]
            case .deny(let reason):
                reply = [Array("1.0".utf8), frames[1], Array("400".utf8), Array(reason.utf8), [], []]
            }
            try? socket.send(reply)
        }
    }
}
