public import NIOCore

/// Picks the few fields a listener needs out of a gateway's JSON text message by scanning bytes.
///
/// A single pass over the message: each string is skipped to its closing quote, and only the
/// keys `event`, `seq`, `timestamp`, `duration`, `is_sync`, `payload`, `stream` and `reason`
/// are read, wherever they sit. No Foundation, no JSON decoder, no allocation: a load tool can
/// afford it on every message of thousands of connections.
public enum ClientMessageScanner {
    /// Scans one text message.
    ///
    /// - Parameter bytes: the message's UTF-8 text.
    /// - Returns: the fields found, or `nil` when the text is not a JSON object, a string or an
    ///   object is not closed, or a field read has the wrong type (e.g. `"seq":"7"` or `"is_sync":1`).
    public static func scan(_ bytes: UnsafeRawBufferPointer) -> ClientMessageScan? {
        var scan = ClientMessageScan()
        let count = bytes.count
        var index = 0
        while index < count, Self.isSpace(bytes[index]) { index += 1 }
        guard index < count, bytes[index] == UInt8(ascii: "{") else { return nil }
        var depth = 0
        while index < count {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "\"") else {
                if byte == UInt8(ascii: "{") {
                    depth += 1
                } else if byte == UInt8(ascii: "}") {
                    depth -= 1
                }
                index += 1
                continue
            }
            guard let keyEnd = Self.closingQuote(bytes, from: index + 1) else { return nil }
            let keyStart = index + 1
            index = keyEnd + 1
            while index < count, Self.isSpace(bytes[index]) { index += 1 }
            // A string not followed by a colon is a value (of a key we skipped): move on.
            guard index < count, bytes[index] == UInt8(ascii: ":") else { continue }
            index += 1
            while index < count, Self.isSpace(bytes[index]) { index += 1 }
            guard let key = Key(bytes, keyStart..<keyEnd) else { continue }
            switch key {
            case .event, .payload, .stream, .reason:
                guard index < count, bytes[index] == UInt8(ascii: "\"") else { return nil }
                guard let valueEnd = Self.closingQuote(bytes, from: index + 1) else { return nil }
                let range = (index + 1)..<valueEnd
                index = valueEnd + 1
                switch key {
                case .event: scan.event = Self.event(bytes, range)
                case .payload: scan.payload = range
                case .stream: scan.stream = range
                default: scan.reason = range
                }
            case .isSync:
                if Self.matches(bytes, at: index, "true") {
                    scan.isSync = true
                    index += 4
                } else if Self.matches(bytes, at: index, "false") {
                    scan.isSync = false
                    index += 5
                } else {
                    return nil
                }
            case .seq:
                guard let (value, next) = Self.integer(bytes, from: index) else { return nil }
                scan.sequence = value
                index = next
            case .timestamp, .duration:
                guard let (value, next) = Self.milliseconds(bytes, from: index) else { return nil }
                if key == .timestamp {
                    scan.timestampMicroseconds = value
                } else {
                    scan.durationMicroseconds = value
                }
                index = next
            }
        }
        // Every object closed, the outermost last.
        guard depth == 0 else { return nil }
        return scan
    }

    /// Scans the readable bytes of `buffer` (see ``scan(_:)-(UnsafeRawBufferPointer)``).
    public static func scan(_ buffer: ByteBuffer) -> ClientMessageScan? {
        buffer.withUnsafeReadableBytes { Self.scan($0) }
    }

    // MARK: Pieces

    private enum Key {
        case event, seq, timestamp, duration, isSync, payload, stream, reason

        init?(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) {
            switch range.count {
            case 3 where ClientMessageScanner.matches(bytes, at: range.lowerBound, "seq"): self = .seq
            case 5 where ClientMessageScanner.matches(bytes, at: range.lowerBound, "event"): self = .event
            case 6 where ClientMessageScanner.matches(bytes, at: range.lowerBound, "stream"): self = .stream
            case 6 where ClientMessageScanner.matches(bytes, at: range.lowerBound, "reason"): self = .reason
            case 7 where ClientMessageScanner.matches(bytes, at: range.lowerBound, "is_sync"): self = .isSync
            case 7 where ClientMessageScanner.matches(bytes, at: range.lowerBound, "payload"): self = .payload
            case 8 where ClientMessageScanner.matches(bytes, at: range.lowerBound, "duration"): self = .duration
            case 9 where ClientMessageScanner.matches(bytes, at: range.lowerBound, "timestamp"): self = .timestamp
            default: return nil
            }
        }
    }

    private static func event(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> ClientMessageScan.Event {
        switch range.count {
        case 5 where Self.matches(bytes, at: range.lowerBound, "chunk"): .chunk
        case 5 where Self.matches(bytes, at: range.lowerBound, "start"): .start
        case 3 where Self.matches(bytes, at: range.lowerBound, "end"): .end
        default: .other
        }
    }

    @inline(__always)
    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
            || byte == UInt8(ascii: "\t")
    }

    /// The index of the quote that closes a string whose text starts at `start`, skipping escapes.
    @inline(__always)
    private static func closingQuote(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        var index = start
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") { return index }
            index += byte == UInt8(ascii: "\\") ? 2 : 1
        }
        return nil
    }

    /// Whether the ASCII text `literal` sits at `index`.
    @inline(__always)
    fileprivate static func matches(_ bytes: UnsafeRawBufferPointer, at index: Int, _ literal: StaticString) -> Bool {
        let length = literal.utf8CodeUnitCount
        guard index + length <= bytes.count else { return false }
        let text = literal.utf8Start
        for offset in 0..<length where bytes[index + offset] != text[offset] { return false }
        return true
    }

    /// A non-negative decimal integer; its value and the index after it.
    private static func integer(_ bytes: UnsafeRawBufferPointer, from start: Int) -> (UInt64, Int)? {
        var index = start
        var value: UInt64 = 0
        while index < bytes.count, case let digit = bytes[index] &- UInt8(ascii: "0"), digit < 10 {
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(digit))
            guard !overflow1, !overflow2 else { return nil }
            value = sum
            index += 1
        }
        guard index > start else { return nil }
        return (value, index)
    }

    /// Non-negative milliseconds with optional decimals, as microseconds (digits past the third
    /// decimal are dropped); the value and the index after it.
    private static func milliseconds(_ bytes: UnsafeRawBufferPointer, from start: Int) -> (UInt64, Int)? {
        guard let (whole, afterWhole) = Self.integer(bytes, from: start) else { return nil }
        let (base, overflow) = whole.multipliedReportingOverflow(by: 1000)
        guard !overflow else { return nil }
        guard afterWhole < bytes.count, bytes[afterWhole] == UInt8(ascii: ".") else { return (base, afterWhole) }
        var index = afterWhole + 1
        var fraction: UInt64 = 0
        var scale: UInt64 = 100
        while index < bytes.count, case let digit = bytes[index] &- UInt8(ascii: "0"), digit < 10 {
            fraction += UInt64(digit) * scale
            scale /= 10
            index += 1
        }
        guard index > afterWhole + 1 else { return nil }
        return (base + fraction, index)
    }
}
