import Gateway
import WavecastTestSupport
import ZeroMQ

/// A real `wavecast-encoder` process, one or more real in-process gateways subscribed to its bus, a bus tap beside
/// them, and a DEALER to play files: everything on 127.0.0.1, ready (every gateway's `/readyz` is 200 and the tap
/// saw a heartbeat) before the test publishes anything.
///
/// The encoder runs as a process so that the gateway's tests build without LAME, as the gateway does.
final class GatewayFixture: Sendable {
    let encoder: EncoderProcess
    let gateways: [RunningGateway]
    let bus: BusTap
    let ingest: IngestClient
    private let context: ZMQContext

    /// The first gateway.
    var gateway: RunningGateway { self.gateways[0] }

    /// What the tests' encoder starts with before a test's own arguments: heartbeats every 100 ms, so gateways
    /// are ready soon, and one encoding thread.
    static let encoderArguments = ["--heartbeat-ms", "100", "--encoding-threads", "1"]

    private init(encoder: EncoderProcess, gateways: [RunningGateway], context: ZMQContext, keys: TestKeys?) throws {
        self.encoder = encoder
        self.gateways = gateways
        self.context = context
        self.bus = try BusTap(context: context, endpoint: encoder.bus, curve: keys.map { $0.client($0.gateway) })
        self.ingest = try IngestClient(
            context: context,
            endpoint: encoder.ingest,
            type: .dealer,
            curve: keys.map { $0.client($0.feeder) }
        )
    }

    /// Runs `body` against a fresh encoder and `gatewayCount` gateways, tearing everything down after it.
    ///
    /// - Parameters:
    ///   - encoderArguments: `wavecast-encoder` options for this test (e.g. `["--bitrate", "32"]`).
    ///   - keys: Turns CURVE on for the ingest and the bus, the gateways and the fixture's own clients
    ///     holding the keys on the encoder's allow-lists.
    static func with<Result>(
        gateways gatewayCount: Int = 1,
        encoder encoderArguments: [String] = [],
        keys: TestKeys? = nil,
        gateway customizeGateway: (inout GatewayConfiguration) -> Void = { _ in },
        _ body: (GatewayFixture) async throws -> Result
    ) async throws -> Result {
        let curveArguments = keys?.encoderArguments ?? []
        let encoder = try await blocking {
            try EncoderProcess(arguments: Self.encoderArguments + curveArguments + encoderArguments)
        }
        var gateways: [RunningGateway] = []
        let fixture: GatewayFixture
        do {
            for _ in 0..<gatewayCount {
                gateways.append(
                    try await RunningGateway.start(bus: [encoder.bus]) { configuration in
                        configuration.busCurve = keys.map { $0.client($0.gateway) }
                        customizeGateway(&configuration)
                    }
                )
            }
            fixture = try GatewayFixture(encoder: encoder, gateways: gateways, context: try ZMQContext(), keys: keys)
        } catch {
            for gateway in gateways { _ = try? await gateway.stop() }
            _ = try? await blocking { encoder.stop() }
            throw error
        }
        return try await withTearDown {
            try await fixture.bus.waitForHeartbeat()
            for gateway in gateways { try await gateway.waitUntilReady() }
            return try await body(fixture)
        } tearDown: {
            await fixture.tearDown()
        }
    }

    private func tearDown() async {
        for gateway in self.gateways { _ = try? await gateway.stop() }
        let encoder = self.encoder
        _ = try? await blocking { encoder.stop() }
        await self.bus.stop()
        await self.ingest.close()
    }
}
