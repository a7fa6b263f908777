import Logging
import NIOConcurrencyHelpers
import ZeroMQ

/// Resolves the bus's host names on a thread of its own, every ``interval``, and posts a name's addresses to the
/// bus thread whenever they change.
///
/// Its own thread because the system resolver blocks, for seconds when a DNS server does not answer, and the bus
/// thread must never wait on it. Encoders that come and go behind a name (a Kubernetes headless Service lists the
/// ready ones) are found within one interval.
final class BusResolver: Sendable {
    /// A name's addresses, as just resolved.
    struct Resolution: Sendable, Equatable {
        var name: TCPEndpoint
        var addresses: [TCPEndpoint]
    }

    /// Where the resolutions go; the bus thread polls its wake signal.
    let inbox = Mailbox<Resolution>()
    private let names: [TCPEndpoint]
    private let interval: Duration
    private let logger: Logger
    /// 0 while running, 1 once asked to stop: the thread sleeps by waiting for 1.
    private let stopState = ConditionLock(value: 0)

    init(names: [TCPEndpoint], interval: Duration, logger: Logger) {
        self.names = names
        self.interval = interval
        self.logger = logger
    }

    /// Resolves every name now and then once per interval until ``requestStop()``; call on a thread of its own.
    func run() {
        var last: [TCPEndpoint: [TCPEndpoint]] = [:]
        var failing: Set<TCPEndpoint> = []
        var wait: Double
        let seconds = Double(self.interval.components.seconds) + Double(self.interval.components.attoseconds) / 1e18
        repeat {
            for name in self.names {
                do {
                    let addresses = try name.resolved()
                    failing.remove(name)
                    guard last[name] != addresses else { continue }
                    last[name] = addresses
                    self.logger.info(
                        "Encoders found behind a bus name",
                        metadata: ["bus": "\(name)", "addresses": "\(addresses.map(\.host).joined(separator: ", "))"]
                    )
                    self.inbox.post(Resolution(name: name, addresses: addresses))
                } catch {
                    // Said once per failing spell; the addresses resolved before stay connected.
                    if failing.insert(name).inserted {
                        self.logger.warning(
                            "Cannot resolve a bus name; keeping the encoders it had",
                            metadata: ["bus": "\(name)", "error": "\(error)"]
                        )
                    }
                }
            }
            // A name that does not resolve (yet: at start-up the encoders' DNS records may trail the gateway) is
            // asked again soon, as libzmq's own reconnects would, not a whole interval later.
            wait = failing.isEmpty ? seconds : min(seconds, Self.retryAfterFailure)
        } while !self.stopState.lock(whenValue: 1, timeoutSeconds: wait)
        self.stopState.unlock()
    }

    /// How soon a name that failed to resolve is asked again (seconds), when the interval is longer.
    static let retryAfterFailure = 0.5

    /// Makes ``run()`` return after the name it is resolving, if any.
    func requestStop() {
        self.stopState.lock()
        self.stopState.unlock(withValue: 1)
    }
}
