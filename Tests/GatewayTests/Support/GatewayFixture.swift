import Encoder
import Gateway
import ZeroMQ

/// A real encoder, one or more real gateways subscribed to its bus, a bus tap beside them, and a
/// DEALER to play files: everything on 127.0.0.1, ready (every gateway's `/readyz` is 200 and the
/// tap saw a heartbeat) before the test publishes anything.
final class GatewayFixture: Sendable {
    let encoder: RunningEncoder
    let gateways: [RunningGateway]
    let bus: BusTap
    let ingest: IngestDealer
    private let context: ZMQContext

    /// The first gateway.
    var gateway: RunningGateway { self.gateways[0] }

    private init(encoder: RunningEncoder, gateways: [RunningGateway], context: ZMQContext) throws {
        self.encoder = encoder
        self.gateways = gateways
        self.context = context
        self.bus = try BusTap(context: context, endpoint: encoder.publishEndpoint)
        self.ingest = try IngestDealer(context: context, endpoint: encoder.ingestEndpoint)
    }

    /// Runs `body` against a fresh encoder and `gatewayCount` gateways, tearing everything down after it.
    static func with<Result>(
        gateways gatewayCount: Int = 1,
        encoder customizeEncoder: (inout EncoderConfiguration) -> Void = { _ in },
        gateway customizeGateway: (inout GatewayConfiguration) -> Void = { _ in },
        _ body: (GatewayFixture) async throws -> Result
    ) async throws -> Result {
        let encoder = try await RunningEncoder.start(customizeEncoder)
        var gateways: [RunningGateway] = []
        let fixture: GatewayFixture
        do {
            for _ in 0..<gatewayCount {
                gateways.append(try await RunningGateway.start(bus: [encoder.publishEndpoint], customizeGateway))
            }
            fixture = try GatewayFixture(encoder: encoder, gateways: gateways, context: try ZMQContext())
        } catch {
            for gateway in gateways { _ = try? await gateway.stop() }
            await encoder.stop()
            throw error
        }
        do {
            try await fixture.bus.waitForHeartbeat()
            for gateway in gateways { try await gateway.waitUntilReady() }
            let result = try await body(fixture)
            await fixture.tearDown()
            return result
        } catch {
            await fixture.tearDown()
            throw error
        }
    }

    private func tearDown() async {
        for gateway in self.gateways { _ = try? await gateway.stop() }
        await self.encoder.stop()
        await self.bus.stop()
        await self.ingest.close()
    }
}
