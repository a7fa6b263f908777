import NIOCore
import WavecastCore
import ZeroMQ

/// One event loop's Twilio calls, per stream: the µ-law share of the loop's fan-out, beside its ``LoopHub``.
///
/// A call of stream `s` is filed under `s`'s µ-law key (`~mulaw/s`, ``StreamID/key(for:)``), the key the bus thread
/// subscribes, paces and dispatches the rendition under, exactly as it does a stream: the loop's first call of a
/// stream posts `joined` to the ``InterestInbox`` (the gateway then subscribes to the rendition's topic and sends the
/// loop its burst), the last one `left`. The ``LoopHub`` hands over, at their deadlines, the events of µ-law keys; this
/// hub writes each to its calls, each with its own `streamSid` (``TwilioFrames``). Confined to its loop.
final class TwilioLoopHub {
    private struct Calls {
        var handlers: [TwilioHandler] = []
        /// The rendition's recent chunks, for calls that join later.
        var window: BurstWindow
        /// The serial of the latest event taken: an older one was cut by a clear, or is a duplicate.
        var lastSerial: UInt64 = 0
    }

    private let loopIndex: Int
    private let interest: InterestInbox?
    private let burstNanoseconds: UInt64
    private var streams: [StreamID: Calls] = [:]

    init(loopIndex: Int, interest: InterestInbox?, burstNanoseconds: UInt64) {
        self.loopIndex = loopIndex
        self.interest = interest
        self.burstNanoseconds = burstNanoseconds
    }

    /// Adds a call under its key: it gets the rendition's recent chunks at once, then every event.
    func add(_ handler: TwilioHandler, key: StreamID) {
        guard self.streams[key] != nil else {
            var calls = Calls(window: BurstWindow(limitNanoseconds: self.burstNanoseconds))
            calls.handlers.append(handler)
            self.streams[key] = calls
            self.interest?.post(.joined(key, loop: self.loopIndex))
            return
        }
        self.streams[key]!.handlers.append(handler)
        handler.receive(burst: self.streams[key]!.window.burst)
    }

    /// Removes a call (it closed); the loop forgets a key with no call left.
    func remove(_ handler: TwilioHandler, key: StreamID) {
        guard let index = self.streams[key]?.handlers.firstIndex(where: { $0 === handler }) else { return }
        self.streams[key]!.handlers.remove(at: index)
        if self.streams[key]!.handlers.isEmpty {
            self.streams[key] = nil
            self.interest?.post(.left(key, loop: self.loopIndex))
        }
    }

    /// Takes the bus thread's burst for `key`, sent when this loop reported its first call of it.
    func receiveBurst(_ events: [OutgoingEvent], of key: StreamID) {
        guard self.streams[key] != nil else { return }
        for event in events where self.take(event) {
            self.streams[key]!.window.remember(event)
        }
        let burst = self.streams[key]!.window.burst
        for handler in self.streams[key]!.handlers where !handler.hasAudio {
            handler.receive(burst: burst)
        }
    }

    /// Writes `event` (due now) to every call of its key.
    func deliver(_ event: OutgoingEvent) {
        guard self.take(event) else {
            if case .mark(let name, let epoch) = event.kind, self.streams[event.stream] != nil {
                // Only a clear overtakes a mark: no call here will have it.
                self.interest?.post(.markCut(event.stream.stream, epoch: epoch, name: name))
            }
            return
        }
        self.streams[event.stream]!.window.remember(event)
        if case .mark(let name, let epoch) = event.kind {
            var sent = 0
            for handler in self.streams[event.stream]!.handlers where handler.send(mark: name, epoch: epoch) {
                sent += 1
            }
            self.interest?.post(.markSent(event.stream.stream, epoch: epoch, name: name, listeners: sent))
            return
        }
        for handler in self.streams[event.stream]!.handlers {
            handler.receive(event)
        }
    }

    /// A call of `key` played up to the mark: reported as an echo of the stream's mark.
    func markPlayed(_ name: String, epoch: UInt32, key: StreamID) {
        self.interest?.post(.markEchoed(key.stream, epoch: epoch, name: name))
    }

    /// A clear dropped the mark from a call's buffer before it played.
    func markCut(_ name: String, epoch: UInt32, key: StreamID) {
        self.interest?.post(.markCut(key.stream, epoch: epoch, name: name))
    }

    /// Every call on this loop, in a stable order (a drain closes them one by one).
    var calls: [TwilioHandler] { self.streams.values.flatMap(\.handlers) }

    /// Closes every call with `code` (shutdown).
    func closeAll(code: UInt16, reason: String) {
        for calls in self.streams.values {
            for handler in calls.handlers {
                handler.close(code: code, reason: reason)
            }
        }
    }

    /// Takes `event` unless the key has no call here, or this loop already had it or a later one (a clear's serial is
    /// newer than every chunk before it: those still waiting are dropped here when they come due).
    private func take(_ event: OutgoingEvent) -> Bool {
        guard let calls = self.streams[event.stream], event.serial > calls.lastSerial else { return false }
        self.streams[event.stream]!.lastSerial = event.serial
        return true
    }
}

@available(*, unavailable)
extension TwilioLoopHub: Sendable {}
