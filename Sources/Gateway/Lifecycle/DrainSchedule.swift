import WavecastCore

/// When each of a draining gateway's clients is closed: evenly spread over the drain window.
///
/// A gateway that stops (a rollout, a scale-down) closes its clients with 1001 so they reconnect to
/// another gateway. Closing them all at once sends every one of them to the others in the same
/// second, a reconnect storm of handshakes, token checks and bursts; NATS' lame-duck mode spreads
/// the closes over a window instead, and so does this. Client `i` of `n` closes `window × i / n`
/// after the drain began: the first at once, the last one step before the window ends.
///
/// Sans I/O: the event loops ask it which of their clients close when, and tests check the spread.
struct DrainSchedule: Sendable, Equatable {
    /// Clients closed together at one moment: a contiguous run of client indices.
    struct Batch: Sendable, Equatable {
        /// How long after the drain began these clients are closed.
        var offset: Duration
        /// The clients' indices in the drain's order.
        var clients: Range<Int>
    }

    /// How many clients the drain closes.
    let clientCount: Int
    /// The drain window (`--drain-ms`); zero closes every client at once.
    let window: Duration

    /// Creates the schedule of `clientCount` clients over `window` (a negative window counts as zero).
    init(clientCount: Int, window: Duration) {
        self.clientCount = max(0, clientCount)
        self.window = max(.zero, window)
    }

    /// How long after the drain began client `index` is closed; indices past the last client
    /// (clients that arrived after the count) close with the last one.
    func offset(ofClient index: Int) -> Duration {
        guard self.clientCount > 1 else { return .zero }
        let clamped = min(max(0, index), self.clientCount - 1)
        let window = self.window.wholeNanoseconds
        let count = UInt64(self.clientCount)
        let index = UInt64(clamped)
        // In two parts, so window × index cannot overflow however many clients there are.
        let nanoseconds = window / count * index + window % count * index / count
        return .nanoseconds(Int64(clamping: nanoseconds))
    }

    /// When the last client is closed: the drain is over then.
    var lastOffset: Duration { self.offset(ofClient: self.clientCount - 1) }

    /// `clients` grouped into batches whose offsets fall in the same `resolution` tick, so an event
    /// loop schedules one task per tick rather than one per client.
    ///
    /// - Parameters:
    ///   - clients: The indices one event loop holds (each loop drains its share of the whole order).
    ///   - resolution: The width of a tick; at least a nanosecond.
    /// - Returns: The batches in time order, each at its first client's tick.
    func batches(of clients: Range<Int>, resolution: Duration) -> [Batch] {
        let tick = max(1, resolution.wholeNanoseconds)
        var batches: [Batch] = []
        for index in clients {
            let offset = self.offset(ofClient: index).wholeNanoseconds / tick * tick
            if let last = batches.last, last.offset.wholeNanoseconds == offset {
                batches[batches.count - 1].clients = last.clients.lowerBound..<(index + 1)
            } else {
                batches.append(Batch(offset: .nanoseconds(Int64(clamping: offset)), clients: index..<(index + 1)))
            }
        }
        return batches
    }
}
