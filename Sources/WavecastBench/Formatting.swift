/// Number formatting for the tables, fixed-point like C's `%.Nf`, without Foundation.
public enum Formatting {
    /// `value` with `digits` decimals, rounded half away from zero (`fixed(2.345, 1)` is `2.3`, `fixed(-0.04, 1)` is
    /// `0.0`); `inf` and `nan` print as Swift prints them.
    public static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "\(value)" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        let whole = Int(scaled / scale)
        let sign = value < 0 && scaled != 0 ? "-" : ""
        guard digits > 0 else { return "\(sign)\(whole)" }
        let fraction = Int(scaled - Double(whole) * scale)
        let padded = String(fraction)
        return "\(sign)\(whole)." + String(repeating: "0", count: max(0, digits - padded.count)) + padded
    }

    /// `numerator ÷ denominator` with `digits` decimals, or `-` when either figure is missing (`-`, empty, not a
    /// number) or the denominator is 0: the gateway ÷ baseline cells.
    public static func ratio(_ numerator: String, _ denominator: String, digits: Int = 2) -> String {
        guard let top = Double(numerator), let bottom = Double(denominator), bottom != 0 else { return "-" }
        return Self.fixed(top / bottom, digits)
    }

    /// `later - earlier` counter samples per second over `seconds`, with no decimals, or `-` when a sample is
    /// missing: the "bus messages taken / s" cells.
    public static func rate(from earlier: Double?, to later: Double?, seconds: Double) -> String {
        guard let earlier, let later, seconds > 0 else { return "-" }
        return Self.fixed((later - earlier) / seconds, 0)
    }
}
