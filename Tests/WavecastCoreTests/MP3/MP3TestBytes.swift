@testable import WavecastCore

/// Byte helpers for the MP3 and bus tests.
enum MP3TestBytes {
    /// Parses space/newline-separated hex pairs, e.g. `"FF E3 18 C4"`.
    static func fromHex(_ hex: String) -> [UInt8] {
        hex.split(whereSeparator: { $0 == " " || $0 == "\n" }).map { UInt8($0, radix: 16)! }
    }

    /// Formats bytes as space-separated upper-case hex pairs.
    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        MP3SampleClock.hexString(bytes)
    }

    /// Builds one synthetic Layer III frame: the header, a CRC if the header says so, `main_data_begin`, then `fill`.
    static func frame(header rawHeader: UInt32, mainDataBegin: Int = 0, fill: UInt8 = 0x55) -> [UInt8] {
        let header = try! MP3FrameHeader(rawValue: rawHeader)
        var frame = header.bytes
        if header.hasCRC {
            frame += [0xAB, 0xCD]
        }
        if header.version == .mpeg1 {
            frame += [UInt8(mainDataBegin >> 1), UInt8(mainDataBegin & 1) << 7 | (fill & 0x7F)]
        } else {
            frame.append(UInt8(mainDataBegin))
        }
        frame += [UInt8](repeating: fill, count: header.frameLength - frame.count)
        return frame
    }
}
