#if canImport(Glibc)
import Glibc
#endif

/// The wall clock, for tokens' `exp` and `nbf` (pacing never reads it: it runs on the monotonic clock).
enum WallClock {
    /// Whole seconds since 1970, UTC.
    static func secondsSince1970() -> Int64 {
        Int64(time(nil))
    }
}
