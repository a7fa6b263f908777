/// Why four bytes are not a usable MP3 (MPEG audio Layer III) frame header, or why a frame's bytes are unusable.
public struct MP3HeaderError: Error, Sendable, Hashable {
    private enum Base: Sendable, Hashable {
        case truncated(needed: Int, got: Int)
        case noSync(UInt8, UInt8)
        case reservedVersion
        case reservedLayer
        case unsupportedLayer(Int)
        case freeBitrate
        case badBitrateIndex
        case reservedSampleRate(MPEGVersion)
        case frameLengthMismatch(expected: Int, got: Int)
    }

    private let base: Base

    private init(_ base: Base) {
        self.base = base
    }

    /// Fewer bytes than the header or side information needs.
    ///
    /// - Parameters:
    ///   - needed: The number of bytes needed.
    ///   - got: The number of bytes available.
    public static func truncated(needed: Int, got: Int) -> Self {
        Self(.truncated(needed: needed, got: got))
    }

    /// The first 11 bits are not the frame sync (all ones).
    ///
    /// - Parameters:
    ///   - first: The first byte seen.
    ///   - second: The second byte seen.
    public static func noSync(_ first: UInt8, _ second: UInt8) -> Self {
        Self(.noSync(first, second))
    }

    /// The version bits are `01`, which no MPEG version uses.
    public static var reservedVersion: Self { Self(.reservedVersion) }

    /// The layer bits are `00`, which no layer uses.
    public static var reservedLayer: Self { Self(.reservedLayer) }

    /// The frame is Layer I or Layer II; only Layer III (MP3) is supported.
    ///
    /// - Parameters:
    ///   - layer: The layer seen: 1 or 2.
    public static func unsupportedLayer(_ layer: Int) -> Self {
        Self(.unsupportedLayer(layer))
    }

    /// Bitrate index 0 ("free format"), whose frame length cannot be known from the header.
    public static var freeBitrate: Self { Self(.freeBitrate) }

    /// Bitrate index 15, which is invalid.
    public static var badBitrateIndex: Self { Self(.badBitrateIndex) }

    /// Sample rate index 3, which is reserved.
    ///
    /// - Parameters:
    ///   - version: The frame's MPEG version.
    public static func reservedSampleRate(_ version: MPEGVersion) -> Self {
        Self(.reservedSampleRate(version))
    }

    /// A frame's bytes are not as long as its header says.
    ///
    /// - Parameters:
    ///   - expected: The frame length computed from the header.
    ///   - got: The number of bytes given.
    public static func frameLengthMismatch(expected: Int, got: Int) -> Self {
        Self(.frameLengthMismatch(expected: expected, got: got))
    }

    /// A stable short identifier of the kind of error, e.g. `"mp3.unsupported_layer"`.
    public var code: String {
        switch self.base {
        case .truncated: "mp3.truncated"
        case .noSync: "mp3.no_sync"
        case .reservedVersion: "mp3.reserved_version"
        case .reservedLayer: "mp3.reserved_layer"
        case .unsupportedLayer: "mp3.unsupported_layer"
        case .freeBitrate: "mp3.free_bitrate"
        case .badBitrateIndex: "mp3.bad_bitrate_index"
        case .reservedSampleRate: "mp3.reserved_sample_rate"
        case .frameLengthMismatch: "mp3.frame_length_mismatch"
        }
    }
}

extension MP3HeaderError: CustomStringConvertible {
    /// A message a person can act on.
    public var description: String {
        switch self.base {
        case .truncated(let needed, let got):
            "MP3 data too short: needs \(needed) bytes, got \(got)"
        case .noSync(let first, let second):
            "not an MP3 frame header: expected the sync bits FF Ex, saw \(MP3SampleClock.hexString([first, second]))"
        case .reservedVersion:
            "MP3 header has the reserved MPEG version bits 01"
        case .reservedLayer:
            "MPEG audio header has the reserved layer bits 00"
        case .unsupportedLayer(let layer):
            "MPEG audio Layer \(layer == 1 ? "I" : "II") frame: only Layer III (MP3) is supported"
        case .freeBitrate:
            "MP3 header uses the free-format bitrate (index 0), which is not supported: encode at a fixed bitrate"
        case .badBitrateIndex:
            "MP3 header has the invalid bitrate index 15"
        case .reservedSampleRate(let version):
            "\(version) header has the reserved sample rate index 3 (valid rates: "
                + "\(version.sampleRates.map(String.init).joined(separator: ", ")) Hz)"
        case .frameLengthMismatch(let expected, let got):
            "MP3 frame is \(got) bytes but its header says \(expected)"
        }
    }
}
