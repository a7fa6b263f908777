import NIOConcurrencyHelpers
import WavecastCore

/// Which live streams have a µ-law rendition, from the encoders' catalogues (every gateway hears them on the control
/// topic, whatever it subscribes to): written by the bus thread, read by Twilio calls once a second.
final class MuLawAvailability: Sendable {
    private let streams = NIOLockedValueBox<[StreamID: Bool]>([:])

    /// Records a catalogue entry: `stream` is live (with µ-law or not), or has ended.
    func record(_ entry: BusCatalogue.Entry) {
        self.streams.withLockedValue { streams in
            streams[entry.stream] = entry.isLive ? entry.hasMuLaw : nil
        }
    }

    /// `stream`'s µ-law rendition has just started (its start came on the µ-law topic).
    func muLawStarted(_ stream: StreamID) {
        self.streams.withLockedValue { $0[stream] = true }
    }

    /// Forgets `stream` (no catalogue has listed it for the stream timeout: its encoder went away).
    func forget(_ stream: StreamID) {
        _ = self.streams.withLockedValue { $0.removeValue(forKey: stream) }
    }

    /// What a Twilio call of `stream` may expect.
    func availability(of stream: StreamID) -> TwilioSessionStateMachine.StreamAvailability {
        switch self.streams.withLockedValue({ $0[stream] }) {
        case nil: .notLive
        case false?: .liveWithoutMuLaw
        case true?: .liveWithMuLaw
        }
    }
}
