/// Cuts one fuzzer input into the frames of a multipart message, so every frame's content is fuzzed.
///
/// The input is a sequence of `[length: UInt16, big-endian][length bytes]`; the last frame takes what is left when
/// its length runs past the end, and a lone trailing byte is a frame of its own.
///
/// ```
/// 00 02 7B 7D 00 01 41   →   ["{}", "A"]
/// ```
public enum LengthPrefixedFrames {
    /// The frames of `bytes`.
    public static func split(_ bytes: UnsafeRawBufferPointer) -> [[UInt8]] {
        var frames: [[UInt8]] = []
        var index = 0
        while index < bytes.count {
            guard index + 2 <= bytes.count else {
                frames.append([bytes[index]])
                break
            }
            let length = Int(bytes[index]) << 8 | Int(bytes[index + 1])
            let start = index + 2
            let end = min(start + length, bytes.count)
            frames.append(Array(bytes[start..<end]))
            index = end
        }
        return frames
    }

    /// The input whose ``split(_:)`` is `frames` (each frame at most 65,535 bytes).
    public static func join(_ frames: [[UInt8]]) -> [UInt8] {
        var bytes: [UInt8] = []
        for frame in frames {
            precondition(frame.count <= 0xFFFF, "a frame is at most 65,535 bytes")
            bytes += [UInt8(frame.count >> 8), UInt8(frame.count & 0xFF)]
            bytes += frame
        }
        return bytes
    }
}
