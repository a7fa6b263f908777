/// The payload of a `catalogue` bus message: which streams an encoder has, so gateways that subscribe only to the
/// streams their listeners want still know every live stream (for `GET /streams` and the player's list).
///
/// An encoder publishes its whole catalogue periodically, in pages, plus a one-entry catalogue when a stream
/// starts (live) or ends (ended). All integers are big-endian; each entry is:
///
/// ```
/// size  field
/// 1     state: bit 0 live (1) or ended (0); bit 1 the stream has a µ-law rendition; other bits 0
/// 1     stream id length n (1–64)
/// n     stream id (a valid StreamID)
/// 8     position in samples (media time published so far)
/// ```
///
/// The header's frame count is the number of entries, its sequence the catalogue counter, and its sample rate,
/// channels and bitrate the encoder's output format.
public struct BusCatalogue: Sendable, Hashable {
    /// One stream's line in the catalogue.
    public struct Entry: Sendable, Hashable {
        /// The stream.
        public var stream: StreamID
        /// Whether the stream is live (`false`: it has just ended).
        public var isLive: Bool
        /// Media time published so far, in samples at the header's sample rate.
        public var positionSamples: UInt64
        /// Whether the stream publishes a µ-law rendition beside its MP3 (state bit 1), so a gateway can tell a
        /// phone caller at once that a stream it asks for has none.
        public var hasMuLaw: Bool

        /// Makes an entry.
        ///
        /// - Parameters:
        ///   - stream: The stream.
        ///   - isLive: Whether it is live (`false`: it has just ended).
        ///   - positionSamples: Media time published so far, in samples.
        ///   - hasMuLaw: Whether the stream publishes a µ-law rendition.
        public init(stream: StreamID, isLive: Bool, positionSamples: UInt64, hasMuLaw: Bool = false) {
            self.stream = stream
            self.isLive = isLive
            self.positionSamples = positionSamples
            self.hasMuLaw = hasMuLaw
        }
    }

    /// The state bit of a live stream.
    static let liveBit: UInt8 = 1
    /// The state bit of a stream with a µ-law rendition.
    static let muLawBit: UInt8 = 2
    /// Every state bit defined.
    static let stateBits: UInt8 = liveBit | muLawBit

    /// Most entries in one catalogue message; a longer catalogue is published in pages.
    public static let maximumEntriesPerMessage = 1000

    /// The entries, in the order published.
    public var entries: [Entry]

    /// Makes a catalogue.
    ///
    /// - Parameters:
    ///   - entries: The entries.
    public init(entries: [Entry]) {
        self.entries = entries
    }

    /// Decodes a catalogue payload that the header says has `count` entries.
    ///
    /// - Parameters:
    ///   - payload: The message's third frame.
    ///   - count: The header's frame count.
    /// - Throws: ``BusDecodingError/malformedCatalogue(_:)`` naming the entry and what is wrong with it.
    public init(decoding payload: [UInt8], count: Int) throws(BusDecodingError) {
        var entries: [Entry] = []
        entries.reserveCapacity(count)
        var offset = 0
        for index in 0..<count {
            guard payload.count - offset >= 2 else {
                throw .malformedCatalogue("entry \(index) of \(count) is cut short at byte \(offset)")
            }
            let state = payload[offset]
            guard state & ~Self.stateBits == 0 else {
                throw .malformedCatalogue(
                    "entry \(index) has the state \(state) at byte \(offset); only bits 0 (live) and 1 (µ-law) are defined"
                )
            }
            let length = Int(payload[offset + 1])
            offset += 2
            guard payload.count - offset >= length + 8 else {
                throw .malformedCatalogue("entry \(index) of \(count) is cut short at byte \(offset)")
            }
            guard let id = String(validating: payload[offset..<offset + length], as: UTF8.self) else {
                throw .malformedCatalogue("entry \(index) has a stream id that is not UTF-8")
            }
            let stream: StreamID
            do {
                stream = try StreamID(id)
            } catch {
                throw .malformedCatalogue("entry \(index) has an invalid stream id: \(error)")
            }
            offset += length
            var reader = BigEndianReader(payload[offset..<offset + 8])
            let position: UInt64 = reader.read()
            offset += 8
            entries.append(
                Entry(
                    stream: stream,
                    isLive: state & Self.liveBit != 0,
                    positionSamples: position,
                    hasMuLaw: state & Self.muLawBit != 0
                )
            )
        }
        guard offset == payload.count else {
            throw .malformedCatalogue("\(payload.count - offset) byte(s) follow the last of \(count) entries")
        }
        self.entries = entries
    }

    /// Encodes the entries as a catalogue payload.
    ///
    /// - Returns: The payload bytes.
    public func encode() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(self.entries.count * 24)
        for entry in self.entries {
            bytes.append((entry.isLive ? Self.liveBit : 0) | (entry.hasMuLaw ? Self.muLawBit : 0))
            bytes.append(UInt8(entry.stream.rawValue.utf8.count))
            bytes.append(contentsOf: entry.stream.rawValue.utf8)
            bytes.appendBigEndian(entry.positionSamples)
        }
        return bytes
    }
}
