/// One section of the run: a family of measurements that prints its own tables.
public enum BenchSection: Sendable, Hashable, CustomStringConvertible {
    /// Encoding speed of a voice file, in process and as whole processes, against ffmpeg.
    case encodeSpeed
    /// N concurrent looping streams on one encoder, measured on the bus.
    case encoderStreams
    /// N WebSocket clients of one stream on the gateway and on the C baseline, at this many frames per chunk.
    case gatewayFanout(chunkFrames: Int)
    /// From `pcm` into the encoder to a gateway's WebSocket client.
    case gatewayLatency
    /// S streams × L listeners on one gateway against the C baseline, then idle streams.
    case shapes
    /// Gateways behind HAProxy with stream-affine balancing.
    case tier
    /// N live streams fed 20 ms pcm pieces at telephony cadence.
    case encoderLive
    /// What CURVE on the bus and listener tokens cost, each beside its baseline (issue 14).
    case security
    /// What the bus proxy (`wavecast proxy`) costs: its CPU per message and the latency its hop adds (issue 16).
    /// Only when WAVECAST_BENCH_SECTIONS names it: the proxy is off by default, and so is its measurement.
    case proxy

    /// The name WAVECAST_BENCH_SECTIONS uses: the old shell driver's function names, so existing commands work.
    public var name: String {
        switch self {
        case .encodeSpeed: "section_encode_speed"
        case .encoderStreams: "section_encoder_streams"
        case .gatewayFanout: "section_gateway_fanout"
        case .gatewayLatency: "section_gateway_latency"
        case .shapes: "section_shapes"
        case .tier: "section_tier"
        case .encoderLive: "section_encoder_live"
        case .security: "section_security"
        case .proxy: "section_proxy"
        }
    }

    /// The name, with the frames per chunk for a fan-out section (`section_gateway_fanout 4`).
    public var description: String {
        if case .gatewayFanout(let chunkFrames) = self { return "\(self.name) \(chunkFrames)" }
        return self.name
    }

    /// Whether the section starts a gateway or the C baseline (and so needs `cc` and those binaries).
    public var usesGateway: Bool {
        switch self {
        case .gatewayFanout, .gatewayLatency, .shapes, .tier, .security: true
        case .encodeSpeed, .encoderStreams, .encoderLive, .proxy: false
        }
    }

    /// Every section name WAVECAST_BENCH_SECTIONS accepts, for its error message.
    public static let names = [
        "section_encode_speed", "section_encoder_streams", "section_gateway_fanout", "section_gateway_latency",
        "section_shapes", "section_tier", "section_encoder_live", "section_security", "section_proxy",
    ]
}
