/// Helpers shared by the MP3 and bus code: sample counts as times, bytes as hex for error messages.
enum MP3SampleClock {
    /// The exact duration of `samples` samples at `sampleRate` Hz, to the attosecond; zero when the rate is zero.
    static func duration(samples: Int64, sampleRate: Int64) -> Duration {
        guard sampleRate > 0 else {
            return .zero
        }
        let (seconds, remainder) = samples.quotientAndRemainder(dividingBy: sampleRate)
        let attoseconds = Int128(remainder) * 1_000_000_000_000_000_000 / Int128(sampleRate)
        return Duration(secondsComponent: seconds, attosecondsComponent: Int64(attoseconds))
    }

    /// Bytes as space-separated upper-case hex pairs, e.g. `FF E3 18 C4`.
    static func hexString(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { byte in
            let digits = String(byte, radix: 16, uppercase: true)
            return byte < 0x10 ? "0" + digits : digits
        }.joined(separator: " ")
    }
}
