import WavecastCore

/// Follows every stream's playback marks from the `mark` request to the listeners' echoes, for the `marks` request.
///
/// Sans-I/O like the rest of the state machine: it is told what happened (accepted, published, cleared, a gateway's
/// report) and when, and answers what a feeder asks. Bounded: each stream keeps its latest
/// ``maximumMarksPerStream`` marks, and a stream's marks are forgotten ``retention`` after it ends.
struct MarkLedger: Sendable {
    /// How many marks a stream keeps; older ones are forgotten first.
    static let maximumMarksPerStream = 256
    /// How long the marks of an ended stream are still reported (nanoseconds).
    static let retention: UInt64 = 60_000_000_000
    /// How many gateways' tallies one mark keeps; reports from more are not counted for it (a bound on what
    /// reports, which come from the network, can make the encoder hold).
    static let maximumGatewaysPerMark = 64

    /// One stream's marks, oldest first, and when the stream ended (its marks are forgotten ``retention`` later).
    private struct StreamMarks: Sendable {
        var marks: [MarkRecord] = []
        var ended: MonotonicTime?

        func index(of name: String) -> Int? {
            self.marks.lastIndex { $0.name == name }
        }
    }

    private var streams: [StreamID: StreamMarks] = [:]

    /// Takes a new mark; refuses a name the stream already has among the marks it keeps.
    mutating func accept(_ name: String, on stream: StreamID, now: MonotonicTime) throws(IngestError) {
        var entry = self.streams[stream] ?? StreamMarks()
        if let index = entry.index(of: name) {
            throw IngestError(
                code: "duplicate_mark",
                message: "stream '\(stream)' already has a mark named '\(name)' (\(entry.marks[index].reportedState)); "
                    + "mark names are unique per stream: number them, e.g. '\(name)-2'"
            )
        }
        entry.ended = nil
        entry.marks.append(MarkRecord(name: name, accepted: now))
        if entry.marks.count > Self.maximumMarksPerStream {
            entry.marks.removeFirst(entry.marks.count - Self.maximumMarksPerStream)
        }
        self.streams[stream] = entry
    }

    /// The mark went out on the bus at `now`, in the stream's incarnation `epoch`, at `positionSamples`.
    mutating func published(
        _ name: String,
        on stream: StreamID,
        epoch: UInt32,
        positionSamples: UInt64,
        now: MonotonicTime
    ) {
        self.update(name, on: stream) { record in
            record.state = .published
            record.epoch = epoch
            record.positionSamples = positionSamples
            record.published = now
        }
    }

    /// The marks were dropped before they were published: by a `clear` (`.cleared`) or a `stop` (`.ended`).
    mutating func dropped(_ names: [String], on stream: StreamID, as state: MarkRecord.State) {
        for name in names {
            self.update(name, on: stream) { record in
                if record.state == .queued { record.state = state }
            }
        }
    }

    /// The stream ended at `now`: its marks still queued never will be published, and all are forgotten later.
    mutating func streamEnded(_ stream: StreamID, now: MonotonicTime) {
        guard var entry = self.streams[stream] else { return }
        for index in entry.marks.indices where entry.marks[index].state == .queued {
            entry.marks[index].state = .ended
        }
        entry.ended = now
        self.streams[stream] = entry
    }

    /// Adds a gateway's report, received at `now`. Entries for marks this encoder does not know (another encoder's,
    /// or forgotten) are skipped; returns how many were applied.
    @discardableResult
    mutating func apply(_ report: BusMarkReport, now: MonotonicTime) -> Int {
        var applied = 0
        for news in report.entries {
            guard let index = self.streams[news.stream]?.index(of: news.name),
                self.streams[news.stream]!.marks[index].epoch == news.epoch
            else { continue }
            let gateways = self.streams[news.stream]!.marks[index].gateways
            guard gateways[report.gateway] != nil || gateways.count < Self.maximumGatewaysPerMark else { continue }
            applied += 1
            self.streams[news.stream]!.marks[index].gateways[report.gateway, default: .init()].add(news, now: now)
        }
        return applied
    }

    /// Forgets the marks of streams that ended more than ``retention`` before `now`.
    mutating func prune(now: MonotonicTime) {
        for (stream, entry) in self.streams {
            if let ended = entry.ended, now.nanoseconds(since: ended) > Int64(Self.retention) {
                self.streams[stream] = nil
            }
        }
    }

    /// The `marks` reply's fields for `stream`: each kept mark, oldest first.
    func report(of stream: StreamID, sampleRate: Int) -> JSONObject {
        let marks = (self.streams[stream]?.marks ?? []).map { record -> JSONValue in
            var fields: JSONObject = [
                "name": .string(record.name),
                "state": .string(record.reportedState),
            ]
            if let published = record.published {
                fields["position_ms"] = .number(
                    Double(MediaClock.milliseconds(samples: record.positionSamples, sampleRate: sampleRate))
                )
                fields["published_after_ms"] = .number(Self.milliseconds(published, since: record.accepted))
            }
            let tallies = record.gateways.values
            fields["sent"] = .number(Double(tallies.reduce(0) { $0 + $1.sent }))
            fields["echoed"] = .number(Double(record.echoed))
            if let published = record.published {
                if let first = tallies.compactMap(\.firstEcho).min() {
                    fields["first_echo_ms"] = .number(Self.milliseconds(first, since: published))
                }
                if let last = tallies.compactMap(\.lastEcho).max() {
                    fields["last_echo_ms"] = .number(Self.milliseconds(last, since: published))
                }
            }
            if !record.gateways.isEmpty {
                var byGateway = JSONObject()
                for (gateway, tally) in record.gateways.sorted(by: { $0.key < $1.key }) {
                    byGateway[gateway] = .object([
                        "sent": .number(Double(tally.sent)),
                        "echoed": .number(Double(tally.echoed)),
                        "cut": .bool(tally.cut),
                    ])
                }
                fields["gateways"] = .object(byGateway)
            }
            return .object(fields)
        }
        return ["marks": .array(marks)]
    }

    private mutating func update(_ name: String, on stream: StreamID, _ change: (inout MarkRecord) -> Void) {
        guard let index = self.streams[stream]?.index(of: name) else { return }
        change(&self.streams[stream]!.marks[index])
    }

    private static func milliseconds(_ time: MonotonicTime, since start: MonotonicTime) -> Double {
        (Double(time.nanoseconds(since: start)) / 1e5).rounded() / 10
    }
}

extension MarkRecord.GatewayTally {
    fileprivate mutating func add(_ news: BusMarkReport.Entry, now: MonotonicTime) {
        // Saturating: counts come from the network, and a sum that traps would take the encoder down.
        self.sent = min(self.sent + news.sent, Int(Int32.max))
        self.echoed = min(self.echoed + news.echoed, Int(Int32.max))
        self.cut = self.cut || news.cut
        if news.echoed > 0 {
            if self.firstEcho == nil { self.firstEcho = now }
            self.lastEcho = now
        }
    }
}
