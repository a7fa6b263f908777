import NIOCore

/// Opens a load test's connections on schedule: connection i is due at `start + ramp × i / N`,
/// with at most `maxConnecting` in flight. Confined to one event loop.
final class RampDriver {
    private let loop: any EventLoop
    private let configuration: LoadTestConfiguration
    private let clientConfiguration: WebSocketClientConfiguration
    private let loops: [any EventLoop]
    private let states: [NIOLoopBound<LoadTestLoopState>]
    private let startNanoseconds: UInt64
    private let rampNanoseconds: UInt64
    private var launched = 0
    private var inFlight = 0
    private var wakeup: Scheduled<Void>?
    private var stopped = false
    /// Connections upgraded.
    private(set) var connected = 0
    /// Connects that failed, by reason.
    private(set) var failures: [String: Int] = [:]
    /// Connects started.
    var attempted: Int { self.launched }

    init(
        loop: any EventLoop,
        configuration: LoadTestConfiguration,
        clientConfiguration: WebSocketClientConfiguration,
        loops: [any EventLoop],
        states: [NIOLoopBound<LoadTestLoopState>],
        startNanoseconds: UInt64
    ) {
        self.loop = loop
        self.configuration = configuration
        self.clientConfiguration = clientConfiguration
        self.loops = loops
        self.states = states
        self.startNanoseconds = startNanoseconds
        self.rampNanoseconds = UInt64(max(0, configuration.rampSeconds) * 1e9)
    }

    /// Launches every connection that is due and schedules the next wake-up.
    func pump() {
        guard !self.stopped else { return }
        let clients = self.configuration.clients
        while self.launched < clients, self.inFlight < self.configuration.maxConnecting {
            let due = self.startNanoseconds + self.rampNanoseconds * UInt64(self.launched) / UInt64(clients)
            if due > NIODeadline.now().uptimeNanoseconds {
                if self.wakeup == nil {
                    self.wakeup = self.loop.assumeIsolated().scheduleTask(deadline: .uptimeNanoseconds(due)) {
                        self.wakeup = nil
                        self.pump()
                    }
                }
                return
            }
            self.launch(self.launched)
            self.launched += 1
        }
    }

    /// Launches nothing more.
    func stop() {
        self.stopped = true
        self.wakeup?.cancel()
        self.wakeup = nil
    }

    private func launch(_ index: Int) {
        self.inFlight += 1
        let state = self.states[index % self.states.count]
        let loop = self.loops[index % self.loops.count]
        let connectStart = NIODeadline.now().uptimeNanoseconds
        let url = self.configuration.url(forClient: index)
        WebSocketClient.connect(to: url, on: loop, configuration: self.clientConfiguration) {
            LoadTestReceiver(state: state.value, connectStart: connectStart)
        }
        .map { channel in state.value.channels.append(channel) }
        .hop(to: self.loop)
        .assumeIsolated()
        .whenComplete { result in
            self.inFlight -= 1
            switch result {
            case .success:
                self.connected += 1
            case .failure(let error):
                self.failures["\(error)", default: 0] += 1
            }
            self.pump()
        }
    }
}

@available(*, unavailable)
extension RampDriver: Sendable {}
