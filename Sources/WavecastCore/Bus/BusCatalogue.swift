/// The payload of a `catalogue` bus message: which streams an encoder has, so gateways that subscribe only to the
/// streams their listeners want still know every live stream (for `GET /streams` and the player's list).
///
/// An encoder publishes its whole catalogue periodically, in pages, plus a one-entry catalogue when a stream
/// starts (live) or ends (ended). All integers are big-endian; each entry is:
///
/// ```
/// size  field
/// 1     state: 1 live, 0 ended
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

        /// Makes an entry.
        ///
        /// - Parameters:
        ///   - stream: The stream.
        ///   - isLive: Whether it is live (`false`: it has just ended).
        ///   - positionSamples: Media time published so far, in samples.
        public init(stream: StreamID, isLive: Bool, positionSamples: UInt64) {
            self.stream = stream
            self.isLive = isLive
            self.positionSamples = positionSamples
        }
    }

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
            guard state <= 1 else {
                throw .malformedCatalogue("entry \(index) has the state \(state) at byte \(offset); expected 0 or 1")
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
            entries.append(Entry(stream: stream, isLive: state == 1, positionSamples: position))
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
            bytes.append(entry.isLive ? 1 : 0)
            bytes.append(UInt8(entry.stream.rawValue.utf8.count))
            bytes.append(contentsOf: entry.stream.rawValue.utf8)
            bytes.appendBigEndian(entry.positionSamples)
        }
        return bytes
    }
}
