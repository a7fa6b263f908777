import Testing
import WavecastTestSupport

/// The project's WebSocket conformance suite (Autobahn's case groups and RFC 6455's "MUST"s for a
/// server), run over raw sockets against a real gateway: one gateway for the whole suite, a fresh
/// connection for each case.
@Suite(ConformanceGateway()) enum ConformanceTests {}

/// A gateway on its own for the conformance cases, started once around the suite it is a trait of:
/// no encoder, since speaking WebSocket needs none.
///
/// Its bus endpoint has nobody behind it, so it is never ready and plays nothing, but it upgrades,
/// reads and closes WebSockets exactly as a serving gateway does.
struct ConformanceGateway: SuiteTrait, TestScoping {
    /// The port of the gateway the running suite shares.
    @TaskLocal static var port: Int?

    var isRecursive: Bool { false }

    func provideScope(
        for test: Test,
        testCase: Test.Case?,
        performing function: @Sendable () async throws -> Void
    ) async throws {
        let gateway = try await RunningGateway.start(bus: ["tcp://127.0.0.1:9"])
        do {
            try await Self.$port.withValue(gateway.port) { try await function() }
        } catch {
            _ = try? await gateway.stop()
            throw error
        }
        try await gateway.stop()
    }

    /// The port of the suite's gateway.
    static var suitePort: Int {
        get throws { try #require(Self.port, "not inside a suite with the ConformanceGateway trait") }
    }

    /// A new WebSocket to `/ws/conformance` on the suite's gateway, handshake done.
    static func open() async throws -> RawWebSocket {
        let port = try Self.suitePort
        return try await blocking { try RawWebSocket.open(port: port, path: "/ws/conformance") }
    }
}

// Reads block, so they run on a thread of their own (`blocking`); expectations are checked back in the test's
// task, where Swift Testing knows which test they belong to.
extension RawWebSocket {
    /// The next frame, or `nil` when the server closed the connection.
    func nextFrame(timeout: Duration = .seconds(5)) async throws -> Frame? {
        try await blocking { try self.readFrame(timeout: timeout) }
    }

    /// Reads until the server closes the TCP connection, and checks that the last frame was its one close
    /// frame, with `code`; returns the frames read before it.
    ///
    /// A server must send nothing after its close frame (RFC 6455 §5.5.1), and must then close the connection.
    @discardableResult
    func expectClose(
        _ code: UInt16,
        timeout: Duration = .seconds(5),
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> [Frame] {
        let frames = try await blocking { try self.readUntilClosed(timeout: timeout) }
        let close = try #require(
            frames.last,
            "the connection closed without a close frame",
            sourceLocation: sourceLocation
        )
        #expect(close.opcode == 0x8, "the last frame was not a close frame", sourceLocation: sourceLocation)
        #expect(close.closeCode == code, "close reason: \(close.closeReason)", sourceLocation: sourceLocation)
        #expect(
            close.fin && !close.masked,
            "a server's close frame is whole and unmasked",
            sourceLocation: sourceLocation
        )
        #expect(
            frames.dropLast().allSatisfy { $0.opcode != 0x8 },
            "more than one close frame",
            sourceLocation: sourceLocation
        )
        return Array(frames.dropLast())
    }

    /// Checks that the connection is open and quiet: nothing arrives for a moment, then a ping is answered.
    func expectOpen(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let early = try await blocking { () -> String? in
            do {
                let frame = try self.readFrame(timeout: .milliseconds(200))
                return frame.map { "a frame with opcode \($0.opcode)" } ?? "the connection closed"
            } catch let error as HarnessError where error.isReadTimeout {
                return nil
            }
        }
        #expect(early == nil, "the server should stay quiet, but: \(early ?? "")", sourceLocation: sourceLocation)
        try self.sendFrame(opcode: 0x9, payload: Array("still open?".utf8))
        let pong = try await self.nextFrame()
        #expect(pong?.opcode == 0xA, "no pong: \(String(describing: pong))", sourceLocation: sourceLocation)
        #expect(pong?.payload == Array("still open?".utf8), sourceLocation: sourceLocation)
    }
}
