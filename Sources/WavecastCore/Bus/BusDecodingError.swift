/// Why a ZeroMQ multipart message is not a valid bus message.
public struct BusDecodingError: Error, Sendable, Hashable {
    private enum Base: Sendable, Hashable {
        case wrongFrameCount(Int)
        case wrongHeaderLength(Int)
        case unsupportedVersion(UInt8)
        case unknownKind(UInt8)
        case reservedFlags(UInt8)
        case unknownRendition(UInt8)
        case wrongRenditionTopic(BusRendition, topic: String)
        case reservedBytes
        case invalidMarkName
        case streamIDNotUTF8
        case invalidStreamID(StreamIDError, kind: BusMessageKind)
        case wrongControlTopic(kind: BusMessageKind, topic: String)
        case malformedCatalogue(String)
        case emptyChunkPayload
        case zeroFrameCount
        case unexpectedPayload(kind: BusMessageKind, length: Int)
    }

    private let base: Base

    private init(_ base: Base) {
        self.base = base
    }

    /// The message does not have exactly 3 frames.
    ///
    /// - Parameters:
    ///   - count: The number of frames seen.
    public static func wrongFrameCount(_ count: Int) -> Self {
        Self(.wrongFrameCount(count))
    }

    /// The header frame is not exactly ``BusHeader/length`` (32) bytes.
    ///
    /// - Parameters:
    ///   - length: The length seen.
    public static func wrongHeaderLength(_ length: Int) -> Self {
        Self(.wrongHeaderLength(length))
    }

    /// The header's version is not ``BusHeader/version``.
    ///
    /// - Parameters:
    ///   - version: The version seen.
    public static func unsupportedVersion(_ version: UInt8) -> Self {
        Self(.unsupportedVersion(version))
    }

    /// The header's kind byte is not a ``BusMessageKind``.
    ///
    /// - Parameters:
    ///   - kind: The kind byte seen.
    public static func unknownKind(_ kind: UInt8) -> Self {
        Self(.unknownKind(kind))
    }

    /// Reserved flag bits (4–7) are set.
    ///
    /// - Parameters:
    ///   - flags: The flags byte seen.
    public static func reservedFlags(_ flags: UInt8) -> Self {
        Self(.reservedFlags(flags))
    }

    /// The header's rendition byte is not a ``BusRendition``.
    ///
    /// - Parameters:
    ///   - rendition: The byte seen.
    public static func unknownRendition(_ rendition: UInt8) -> Self {
        Self(.unknownRendition(rendition))
    }

    /// A stream message's topic is not its rendition's: a µ-law message must travel on `~mulaw/<stream>`, any other
    /// on the stream id alone.
    ///
    /// - Parameters:
    ///   - rendition: The rendition the header names.
    ///   - topic: The first frame seen.
    public static func wrongRenditionTopic(_ rendition: BusRendition, topic: String) -> Self {
        Self(.wrongRenditionTopic(rendition, topic: topic))
    }

    /// The header's reserved bytes (37–39) are not 0.
    public static var reservedBytes: Self { Self(.reservedBytes) }

    /// A mark's payload, its name, is empty, longer than ``BusMessage/maximumMarkNameBytes`` or not UTF-8.
    public static var invalidMarkName: Self { Self(.invalidMarkName) }

    /// The stream id frame is not valid UTF-8.
    public static var streamIDNotUTF8: Self { Self(.streamIDNotUTF8) }

    /// The stream id of a start, chunk or end message is not a valid ``StreamID``.
    ///
    /// - Parameters:
    ///   - error: What is wrong with it.
    ///   - kind: The message's kind.
    public static func invalidStreamID(_ error: StreamIDError, kind: BusMessageKind) -> Self {
        Self(.invalidStreamID(error, kind: kind))
    }

    /// A heartbeat or catalogue is not on the control topic: its first frame must be exactly `#`.
    ///
    /// - Parameters:
    ///   - kind: The message's kind.
    ///   - topic: The first frame seen.
    public static func wrongControlTopic(kind: BusMessageKind, topic: String) -> Self {
        Self(.wrongControlTopic(kind: kind, topic: topic))
    }

    /// A catalogue's payload does not hold the entries its header counts.
    ///
    /// - Parameters:
    ///   - reason: Which entry is wrong and how.
    public static func malformedCatalogue(_ reason: String) -> Self {
        Self(.malformedCatalogue(reason))
    }

    /// A chunk message has an empty payload.
    public static var emptyChunkPayload: Self { Self(.emptyChunkPayload) }

    /// A chunk message's header has a frame count of 0.
    public static var zeroFrameCount: Self { Self(.zeroFrameCount) }

    /// A start, end or heartbeat message has a payload; it must be empty.
    ///
    /// - Parameters:
    ///   - kind: The message's kind.
    ///   - length: The payload length seen.
    public static func unexpectedPayload(kind: BusMessageKind, length: Int) -> Self {
        Self(.unexpectedPayload(kind: kind, length: length))
    }

    /// A stable short identifier of the kind of error, e.g. `"bus.unsupported_version"`.
    public var code: String {
        switch self.base {
        case .wrongFrameCount: "bus.wrong_frame_count"
        case .wrongHeaderLength: "bus.wrong_header_length"
        case .unsupportedVersion: "bus.unsupported_version"
        case .unknownKind: "bus.unknown_kind"
        case .reservedFlags: "bus.reserved_flags"
        case .unknownRendition: "bus.unknown_rendition"
        case .wrongRenditionTopic: "bus.wrong_rendition_topic"
        case .reservedBytes: "bus.reserved_bytes"
        case .invalidMarkName: "bus.invalid_mark_name"
        case .streamIDNotUTF8: "bus.stream_id_not_utf8"
        case .invalidStreamID: "bus.invalid_stream_id"
        case .wrongControlTopic: "bus.wrong_control_topic"
        case .malformedCatalogue: "bus.malformed_catalogue"
        case .emptyChunkPayload: "bus.empty_chunk_payload"
        case .zeroFrameCount: "bus.zero_frame_count"
        case .unexpectedPayload: "bus.unexpected_payload"
        }
    }
}

extension BusDecodingError: CustomStringConvertible {
    /// A message a person can act on.
    public var description: String {
        switch self.base {
        case .wrongFrameCount(let count):
            "bus message has \(count) frame(s); expected 3: [stream id][40-byte header][payload]"
        case .wrongHeaderLength(let length):
            "bus message header is \(length) bytes; expected \(BusHeader.length) (version \(BusHeader.version)) or "
                + "\(BusHeader.version1Length) (version 1)"
        case .unsupportedVersion(let version):
            "bus message has header version \(version); this build understands versions 1 and \(BusHeader.version): "
                + "run encoder and gateway from the same release"
        case .unknownKind(let kind):
            "bus message has the unknown kind \(kind); expected 1 (start), 2 (chunk), 3 (end), 4 (heartbeat), "
                + "5 (catalogue), 6 (clear) or 7 (mark): run encoder and gateway from the same release"
        case .reservedFlags(let flags):
            "bus message sets reserved flag bits: flags byte is 0x\(String(flags, radix: 16, uppercase: true)); "
                + "only bits 0 (sync), 1 (stopped), 2 (replay) and 3 (replay end) are defined"
        case .unknownRendition(let rendition):
            "bus message has the unknown rendition \(rendition); expected 0 (mp3) or 1 (mulaw): run encoder and "
                + "gateway from the same release"
        case .wrongRenditionTopic(let rendition, let topic):
            "bus message of rendition \(rendition) has the first frame \(topic.debugDescription); a \(rendition) "
                + "message travels on \"\(rendition.topicPrefix)\" followed by its stream id"
        case .reservedBytes:
            "bus message header sets its reserved bytes 37–39; they must be 0"
        case .invalidMarkName:
            "bus mark message's name (its payload) is empty, longer than \(BusMessage.maximumMarkNameBytes) bytes or "
                + "not UTF-8"
        case .streamIDNotUTF8:
            "bus message stream id is not valid UTF-8"
        case .invalidStreamID(let error, let kind):
            "bus \(kind) message has an invalid stream id: \(error)"
        case .wrongControlTopic(let kind, let topic):
            "bus \(kind) message has the first frame \(topic.debugDescription); a \(kind) travels on the control "
                + "topic, exactly \"#\""
        case .malformedCatalogue(let reason):
            "bus catalogue message is malformed: \(reason)"
        case .emptyChunkPayload:
            "bus chunk message has an empty payload; a chunk carries at least one whole MP3 frame"
        case .zeroFrameCount:
            "bus chunk message has a frame count of 0; a chunk carries at least one whole MP3 frame"
        case .unexpectedPayload(let kind, let length):
            "bus \(kind) message has a \(length)-byte payload; only chunk, catalogue and mark messages carry one"
        }
    }
}
