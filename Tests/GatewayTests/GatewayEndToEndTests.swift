import Testing
import WavecastTestSupport

/// The end-to-end suites that measure time run one at a time, so their figures are not each other's noise.
///
/// Each nested suite starts a real ``EncoderService`` and real ``GatewayService``s on 127.0.0.1 and
/// talks to them over real WebSocket connections (``RawWebSocket``).
@Suite(.serialized, .onOwnThreads)
enum GatewayEndToEndTests {}
