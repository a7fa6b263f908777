#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Resamples mono PCM from any rate (in practice 8 kHz and up) to 8 kHz, the telephone rate, piece by piece.
///
/// A polyphase windowed-sinc filter, not decimation: every output sample is the input low-passed at 3.6 kHz (a
/// Kaiser-windowed sinc, β = 6, about 63 dB down in the stop band from 4 kHz, flat to about 3.2 kHz) and evaluated
/// at its exact time, so speech energy above the new Nyquist frequency (4 kHz) does not fold back as aliasing. The
/// ratio is exact (8000/rate reduced by their greatest common divisor), so output sample *n* is the input at time
/// *n* / 8000 s however long the stream runs, with no drift; the kernel is symmetric, so there is no delay beyond
/// the look-ahead the filter needs (about 2.4 ms of input, held until more comes or ``finish(into:)``).
///
/// Input at 8 kHz passes through untouched. Pure computation; not thread safe (one per stream).
public struct TelephonyResampler: Sendable {
    /// The output rate, Hz.
    public static let outputRate = 8000
    /// The low-pass filter's cutoff (its −6 dB point), Hz.
    public static let cutoff = 3600.0
    /// The filter's half-length, in seconds of input: sets the transition band (about 3.2–4 kHz).
    static let halfLengthSeconds = 0.0024
    /// The Kaiser window's β: the stop band's depth (about 63 dB).
    static let beta = 6.0
    /// Phase tables are precomputed up to this many phases (the reduced output/input ratio's numerator); rates with
    /// more (odd rates like 8001 Hz) compute their taps for each output sample instead.
    static let maximumTabulatedPhases = 1024

    /// The input rate, Hz.
    public let inputRate: Int
    /// Output samples per `down` input samples: the reduced ratio 8000 / inputRate is `up` / `down`.
    private let up: Int
    private let down: Int
    /// Taps reach this many input samples either side of an output sample's position.
    private let halfTaps: Int
    /// `up` phases of `2 × halfTaps` taps each, normalized to a gain of 1; empty when computed on the fly.
    private let table: [Float]
    /// Input not yet needed no more, from absolute sample index `historyStart` (samples before index 0 are 0).
    private var history: [Float] = []
    private var historyStart = 0
    /// Input samples taken so far.
    private var taken = 0
    /// The absolute index of the next output sample.
    private var nextOutput = 0

    /// Makes a resampler for input at `inputRate`.
    ///
    /// - Parameters:
    ///   - inputRate: The input's sample rate (below 8 kHz it is interpolated, with the cutoff under its own Nyquist
    ///     frequency).
    public init(inputRate: Int) {
        precondition(inputRate > 0, "a sample rate is positive")
        self.inputRate = inputRate
        let divisor = Self.greatestCommonDivisor(Self.outputRate, inputRate)
        self.up = Self.outputRate / divisor
        self.down = inputRate / divisor
        if inputRate == Self.outputRate {
            self.halfTaps = 0
            self.table = []
            return
        }
        self.halfTaps = Int((Self.halfLengthSeconds * Double(inputRate)).rounded(.up))
        if self.up <= Self.maximumTabulatedPhases {
            var table: [Float] = []
            table.reserveCapacity(self.up * 2 * self.halfTaps)
            for phase in 0..<self.up {
                table += Self.taps(phase: phase, up: self.up, halfTaps: self.halfTaps, inputRate: inputRate)
            }
            self.table = table
        } else {
            self.table = []
        }
    }

    /// Resamples `input` (the next samples of the stream), appending every output sample it completes.
    ///
    /// - Parameters:
    ///   - input: The stream's next input samples.
    ///   - output: Where the 8 kHz samples are appended.
    public mutating func process(_ input: [Float], into output: inout [Float]) {
        guard self.up != self.down else {
            output += input
            self.taken += input.count
            self.nextOutput += input.count
            return
        }
        self.history += input
        self.taken += input.count
        self.produce(until: self.taken, into: &output)
    }

    /// The input is over: appends the last output samples, as if silence followed.
    ///
    /// - Parameters:
    ///   - output: Where the 8 kHz samples are appended.
    public mutating func finish(into output: inout [Float]) {
        guard self.up != self.down else { return }
        self.produce(until: self.taken + self.halfTaps, into: &output)
    }

    /// Computes every output sample whose taps lie before input index `available`, but none past the input's end.
    private mutating func produce(until available: Int, into output: inout [Float]) {
        let width = 2 * self.halfTaps
        var taps = self.table.isEmpty ? [Float](repeating: 0, count: width) : []
        while true {
            let position = self.nextOutput * self.down
            let index = position / self.up
            let phase = position % self.up
            // Output samples stand for times within the input (the last one's time is before its end).
            guard index < self.taken, index + self.halfTaps < available else { break }
            let first = index - self.halfTaps + 1
            if self.table.isEmpty {
                taps = Self.taps(phase: phase, up: self.up, halfTaps: self.halfTaps, inputRate: self.inputRate)
            }
            var sum: Float = 0
            for tap in 0..<width {
                let absolute = first + tap
                guard absolute >= 0, absolute < self.taken else { continue }
                let weight = self.table.isEmpty ? taps[tap] : self.table[phase * width + tap]
                sum += weight * self.history[absolute - self.historyStart]
            }
            output.append(sum)
            self.nextOutput += 1
        }
        // Keep only what the next output sample's taps reach back to.
        let nextIndex = self.nextOutput * self.down / self.up
        let keepFrom = max(self.historyStart, min(self.taken, nextIndex - self.halfTaps + 1))
        if keepFrom > self.historyStart {
            self.history.removeFirst(keepFrom - self.historyStart)
            self.historyStart = keepFrom
        }
    }

    /// The taps of one phase, for input samples `index − halfTaps + 1 … index + halfTaps` around an output
    /// sample `phase / up` input samples after `index`, normalized to sum to 1 (a gain of exactly 1 at 0 Hz).
    static func taps(phase: Int, up: Int, halfTaps: Int, inputRate: Int) -> [Float] {
        // Cycles per input sample; an input slower than 8 kHz has nothing above its own Nyquist frequency to remove.
        let normalizedCutoff = min(Self.cutoff, 0.45 * Double(inputRate)) / Double(inputRate)
        let offset = Double(phase) / Double(up)
        var taps: [Double] = []
        taps.reserveCapacity(2 * halfTaps)
        for tap in 0..<(2 * halfTaps) {
            // Distance from the output sample's position to this input sample, in input samples.
            let distance = offset - Double(tap - halfTaps + 1)
            let x = 2 * normalizedCutoff * distance
            let sinc = x == 0 ? 1 : sin(Double.pi * x) / (Double.pi * x)
            let ratio = distance / Double(halfTaps)
            let window = abs(ratio) >= 1 ? 0 : Self.besselI0(Self.beta * (1 - ratio * ratio).squareRoot())
            taps.append(sinc * window)
        }
        let total = taps.reduce(0, +)
        return taps.map { Float($0 / total) }
    }

    /// The modified Bessel function of the first kind, order 0, by its power series (the Kaiser window's shape).
    static func besselI0(_ x: Double) -> Double {
        var sum = 1.0
        var term = 1.0
        let quarterSquare = x * x / 4
        for k in 1..<40 {
            term *= quarterSquare / Double(k * k)
            sum += term
            if term < sum * 1e-12 { break }
        }
        return sum / Self.besselI0AtBeta
    }

    /// I0(β), so the window peaks at 1 (the normalization makes it irrelevant to the gain, but keeps the values sane).
    private static let besselI0AtBeta: Double = {
        var sum = 1.0
        var term = 1.0
        let quarterSquare = beta * beta / 4
        for k in 1..<40 {
            term *= quarterSquare / Double(k * k)
            sum += term
        }
        return sum
    }()

    private static func greatestCommonDivisor(_ a: Int, _ b: Int) -> Int {
        var (a, b) = (a, b)
        while b != 0 { (a, b) = (b, a % b) }
        return a
    }
}
