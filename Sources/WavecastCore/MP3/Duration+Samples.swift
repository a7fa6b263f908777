extension Duration {
    /// The exact duration of `samples` samples at `sampleRate` Hz, to the attosecond; zero when the rate is zero.
    init(samples: Int64, sampleRate: Int64) {
        guard sampleRate > 0 else {
            self = .zero
            return
        }
        let (seconds, remainder) = samples.quotientAndRemainder(dividingBy: sampleRate)
        let attoseconds = Int128(remainder) * 1_000_000_000_000_000_000 / Int128(sampleRate)
        self.init(secondsComponent: seconds, attosecondsComponent: Int64(attoseconds))
    }
}
