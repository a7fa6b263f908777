import WavecastCore

/// One playback mark as the encoder follows it: where it is on its way, and what each gateway reported of it.
struct MarkRecord: Sendable {
    /// Where the mark is on its way.
    enum State: String, Sendable {
        /// Accepted, waiting behind audio not yet published.
        case queued
        /// On the bus: gateways send it to listeners once the audio before it has been sent.
        case published
        /// A `clear` dropped it before a listener had it.
        case cleared
        /// The stream was stopped, or ended, before the mark's turn came.
        case ended
    }

    /// What one gateway reported of the mark, summed over its reports.
    struct GatewayTally: Sendable {
        /// Listeners the gateway sent the mark to.
        var sent = 0
        /// Listeners who echoed it.
        var echoed = 0
        /// A clear dropped it on that gateway before (some of) its listeners played it.
        var cut = false
        /// When the first and the latest echo reached the encoder.
        var firstEcho: MonotonicTime?
        var lastEcho: MonotonicTime?
    }

    /// The mark's name, unique among its stream's kept marks.
    let name: String
    /// Where it is on its way.
    var state: State = .queued
    /// The stream's epoch when the mark was published (0 before).
    var epoch: UInt32 = 0
    /// The stream's media time at the mark, in output samples, once published.
    var positionSamples: UInt64 = 0
    /// When the `mark` request was accepted.
    let accepted: MonotonicTime
    /// When it went out on the bus.
    var published: MonotonicTime?
    /// What each gateway reported of it, by gateway name (host:port); at most ``MarkLedger/maximumGatewaysPerMark``.
    var gateways: [String: GatewayTally] = [:]

    init(name: String, accepted: MonotonicTime) {
        self.name = name
        self.accepted = accepted
    }

    /// Listeners who echoed the mark, over every gateway.
    var echoed: Int { self.gateways.values.reduce(0) { $0 + $1.echoed } }

    /// The state a feeder is told: a mark any listener echoed was played, whatever came after; one a gateway cut and
    /// nobody echoed was cleared.
    var reportedState: String {
        if self.echoed > 0 { return "played" }
        if self.state == .published && self.gateways.values.contains(where: \.cut) { return State.cleared.rawValue }
        return self.state.rawValue
    }
}
