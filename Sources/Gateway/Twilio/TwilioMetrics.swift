import Prometheus

/// The gateway's Twilio Media Streams figures, on its one registry (`/metrics`).
struct TwilioMetrics: Sendable {
    private let registry: PrometheusCollectorRegistry
    /// Twilio calls connected now.
    let calls: Gauge
    /// The callers' `media` messages received (their audio is not played anywhere: the endpoint only speaks).
    let inboundMedia: Counter
    /// `media` messages sent to calls.
    let mediaSent: Counter
    /// Twilio `clear`s sent to calls (barge-in).
    let clearsSent: Counter
    /// Key presses (`dtmf`) reported by calls.
    let dtmf: Counter

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        func counter(_ name: String, _ help: String) -> Counter {
            registry.makeCounter(
                descriptor: .init(namespace: "wavecast_gateway", metricName: name, unitName: "total", helpText: help)
            )
        }
        self.calls = registry.makeGauge(
            descriptor: .init(
                namespace: "wavecast_gateway",
                metricName: "twilio_calls",
                unitName: "",
                helpText: "Twilio Media Streams calls connected"
            )
        )
        self.inboundMedia = counter("twilio_inbound_media", "Twilio callers' media messages received (not played)")
        self.mediaSent = counter("twilio_media_sent", "Twilio media messages (µ-law) sent to calls")
        self.clearsSent = counter("twilio_clears_sent", "Twilio clear messages sent to calls (barge-in)")
        self.dtmf = counter("twilio_dtmf", "Key presses (dtmf) reported by Twilio calls")
    }

    /// Counts a message a call sent that was ignored, by why.
    func countIgnored(_ reason: TwilioSessionStateMachine.Ignored) {
        self.registry.makeCounter(
            descriptor: .init(
                namespace: "wavecast_gateway",
                metricName: "twilio_ignored_messages",
                unitName: "total",
                helpText: "Messages from Twilio calls ignored (the call goes on), by reason"
            ),
            labels: [("reason", reason.rawValue)]
        ).increment()
    }

    /// Counts a call closed by the gateway with `code` (``TwilioCloseCode``).
    func countClose(code: UInt16) {
        self.registry.makeCounter(
            descriptor: .init(
                namespace: "wavecast_gateway",
                metricName: "twilio_closes",
                unitName: "total",
                helpText: "Twilio calls closed by the gateway, by close code (1000: the call's stop)"
            ),
            labels: [("code", String(code))]
        ).increment()
    }
}
