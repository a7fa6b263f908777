/// Why LAME could not be set up or could not encode.
public struct MP3EncoderError: Error, Hashable, Sendable {
    private enum Base: Hashable, Sendable {
        case initialisationFailed(String)
        case encodingFailed(Int32)
        case invalidOutput(String)
    }

    private let base: Base

    /// LAME rejected the configuration, or would have silently changed it; the message names the settings.
    public static func initialisationFailed(_ settings: String) -> Self { Self(base: .initialisationFailed(settings)) }

    /// `lame_encode_*` returned the given negative status.
    public static func encodingFailed(status: Int32) -> Self { Self(base: .encodingFailed(status)) }

    /// LAME's output did not split into whole MP3 frames (a bug, never expected).
    public static func invalidOutput(_ reason: String) -> Self { Self(base: .invalidOutput(reason)) }
}

extension MP3EncoderError: CustomStringConvertible {
    public var description: String {
        switch self.base {
        case .initialisationFailed(let settings):
            "LAME rejected the encoder settings (\(settings))"
        case .encodingFailed(let status):
            "LAME failed to encode (status \(status): \(Self.explain(status)))"
        case .invalidOutput(let reason):
            "LAME produced output that is not whole MP3 frames: \(reason)"
        }
    }

    private static func explain(_ status: Int32) -> String {
        switch status {
        case -1: "output buffer too small"
        case -2: "out of memory"
        case -3: "parameters not initialised"
        case -4: "psycho-acoustic problem"
        default: "unknown"
        }
    }
}
