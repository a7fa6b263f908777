#if canImport(Glibc)
import Glibc
// Glibc's `timespec` comes to Swift through the overlay's shims module, which MemberImportVisibility wants named.
import SwiftOverlayShims
#elseif canImport(Darwin)
import Darwin
#endif

/// A point on the monotonic clock, in nanoseconds since an arbitrary start (boot on Linux).
///
/// Pacing math is done in integer nanoseconds so absolute deadlines never drift: chunk k is due at
/// `anchor + pts_k`, computed from the sample count, never by adding up rounded intervals.
public struct MonotonicTime: Sendable, Hashable, Comparable {
    /// Nanoseconds since the clock's start.
    public var nanoseconds: UInt64

    /// Creates a time from a nanosecond count.
    public init(nanoseconds: UInt64) {
        self.nanoseconds = nanoseconds
    }

    /// The current time of `CLOCK_MONOTONIC`, the clock NIO's deadlines use too.
    public static func now() -> MonotonicTime {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return MonotonicTime(nanoseconds: UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec))
    }

    public static func < (lhs: MonotonicTime, rhs: MonotonicTime) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    /// This time moved later by `nanoseconds`.
    public func advanced(byNanoseconds nanoseconds: UInt64) -> MonotonicTime {
        MonotonicTime(nanoseconds: self.nanoseconds &+ nanoseconds)
    }

    /// Nanoseconds from `earlier` to this time, negative when `earlier` is in fact later.
    public func nanoseconds(since earlier: MonotonicTime) -> Int64 {
        Int64(bitPattern: self.nanoseconds &- earlier.nanoseconds)
    }
}

/// Converts between sample counts and time without accumulating rounding error.
public enum MediaClock {
    /// The time `samples` samples take at `sampleRate`, in whole nanoseconds (rounded down).
    public static func nanoseconds(samples: UInt64, sampleRate: Int) -> UInt64 {
        let rate = UInt64(sampleRate)
        return samples / rate * 1_000_000_000 + samples % rate * 1_000_000_000 / rate
    }

    /// The time `samples` samples take at `sampleRate`, in whole milliseconds (rounded down).
    public static func milliseconds(samples: UInt64, sampleRate: Int) -> UInt64 {
        Self.nanoseconds(samples: samples, sampleRate: sampleRate) / 1_000_000
    }
}
