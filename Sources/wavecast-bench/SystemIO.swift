#if canImport(Glibc)
import Glibc
#endif

/// Small POSIX helpers: whole-file reads (including /proc files, whose size reads as 0) and the monotonic clock.
enum SystemIO {
    /// Reads the whole file at `path`.
    ///
    /// - Parameters:
    ///   - path: The file to read.
    /// - Returns: Its bytes.
    /// - Throws: ``BenchError`` if the file cannot be opened or read.
    static func readFile(_ path: String) throws(BenchError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw BenchError("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw BenchError("cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if count == 0 { return bytes }
            bytes += buffer[0..<count]
        }
    }

    /// Writes `bytes` to the file at `path`, creating it or replacing what it held.
    ///
    /// - Throws: ``BenchError`` if the file cannot be created or written.
    static func writeFile(_ path: String, _ bytes: [UInt8]) throws(BenchError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else {
            throw BenchError("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw BenchError("cannot write \(path): \(String(cString: strerror(errno)))") }
            offset += count
        }
    }

    /// Nanoseconds on the monotonic clock (`CLOCK_MONOTONIC`), for arrival times and wall-clock durations.
    static func monotonicNanoseconds() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }

    /// Sleeps the calling thread for `seconds` (nothing when 0 or less).
    static func sleep(seconds: Double) {
        guard seconds > 0 else { return }
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
        var remaining = timespec()
        // Interrupted by a signal: sleep on for what is left.
        while nanosleep(&request, &remaining) != 0 && errno == EINTR {
            request = remaining
        }
    }
}
