/// Which encoding of a stream's audio a bus chunk carries (header byte 36).
///
/// Every stream has its MP3 rendition, for browsers and bots; a feeder may ask for G.711 µ-law beside it, the
/// encoding telephone networks carry, so a phone bridge relays audio it can play without transcoding it.
public enum BusRendition: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// MPEG audio layer III: the payload is whole MP3 frames.
    case mp3 = 0
    /// G.711 µ-law, 8000 Hz mono, one byte per sample (64 kbps).
    case mulaw = 1

    /// "mp3" or "mulaw", as feeders name a rendition.
    public var description: String {
        switch self {
        case .mp3: "mp3"
        case .mulaw: "mulaw"
        }
    }
}
