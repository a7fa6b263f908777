#if canImport(Glibc)
import Glibc
#endif

/// Fetches an encoder's Prometheus text from `/metrics` (or another page of a service, for the run's readiness
/// probes) with one plain HTTP/1.0 request.
struct MetricsScraper {
    private let host: String
    private let port: UInt16

    /// Creates a scraper for `url`, `http://HOST:PORT` with a numeric IPv4 host (the bench stays on 127.0.0.1).
    ///
    /// - Throws: ``BenchError`` if `url` is not of that form.
    init(url: String) throws(BenchError) {
        var rest = Substring(url)
        if rest.hasPrefix("http://") { rest = rest.dropFirst("http://".count) }
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        guard let colon = rest.lastIndex(of: ":"), let port = UInt16(rest[rest.index(after: colon)...]) else {
            throw BenchError("--http must look like http://127.0.0.1:9091, not '\(url)'")
        }
        self.host = String(rest[..<colon])
        self.port = port
    }

    /// Fetches `/metrics` and returns its body.
    ///
    /// - Throws: ``BenchError`` if the server cannot be reached within 5 s or does not answer 200.
    func fetch() throws(BenchError) -> String {
        try self.fetch(path: "/metrics")
    }

    /// Fetches `path` (`/healthz`, `/readyz`, `/streams`, …) and returns its body.
    ///
    /// - Throws: ``BenchError`` if the server cannot be reached within 5 s or does not answer 200.
    func fetch(path: String) throws(BenchError) -> String {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw BenchError("socket() failed for the /metrics request") }
        defer { close(descriptor) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = self.port.bigEndian
        guard inet_pton(AF_INET, self.host, &address.sin_addr) == 1 else {
            throw BenchError("the /metrics host must be a numeric IPv4 address, not '\(self.host)'")
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            throw BenchError("cannot connect to http://\(self.host):\(self.port): \(String(cString: strerror(errno)))")
        }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: \(self.host)\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(descriptor, $0.baseAddress, $0.count, 0) }) == request.count else {
            throw BenchError("cannot send the /metrics request")
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        // HTTP/1.0 without keep-alive: the server closes after the body. Bounded by size and the receive timeout.
        while response.count < 64 << 20 {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            response += buffer[0..<count]
        }
        let text = String(decoding: response, as: UTF8.self)
        guard text.hasPrefix("HTTP/1.") && text.split(separator: " ", maxSplits: 2).dropFirst().first == "200",
            let end = text.firstRange(of: "\r\n\r\n")
        else {
            throw BenchError("http://\(self.host):\(self.port)\(path) did not answer 200 OK")
        }
        return String(text[end.upperBound...])
    }
}

/// A Prometheus histogram's cumulative bucket counts, read from `/metrics` text.
struct HistogramSnapshot {
    /// Upper bounds in seconds (`+Inf` last) with their cumulative counts.
    var buckets: [(bound: Double, count: Double)]

    /// Reads histogram `name` (without `_bucket`) from Prometheus text; buckets missing from the text are absent.
    init(name: String, in text: String) {
        var buckets: [(bound: Double, count: Double)] = []
        let prefix = name + "_bucket{"
        for line in text.split(separator: "\n") where line.hasPrefix(prefix) {
            guard let leStart = line.firstRange(of: "le=\"")?.upperBound,
                let leEnd = line[leStart...].firstIndex(of: "\""),
                let space = line.lastIndex(of: " "),
                let count = Double(line[line.index(after: space)...])
            else { continue }
            let boundText = line[leStart..<leEnd]
            let bound = boundText == "+Inf" ? Double.infinity : Double(boundText) ?? .nan
            if !bound.isNaN { buckets.append((bound, count)) }
        }
        self.buckets = buckets.sorted { $0.bound < $1.bound }
    }

    /// The observations made between `earlier` and this snapshot, bucket by bucket (still cumulative).
    func subtracting(_ earlier: HistogramSnapshot) -> HistogramSnapshot {
        var result = self
        for index in result.buckets.indices {
            let bound = result.buckets[index].bound
            let before = earlier.buckets.first { $0.bound == bound }?.count ?? 0
            result.buckets[index].count -= before
        }
        return result
    }

    /// The number of observations (the `+Inf` bucket).
    var total: Double { self.buckets.last?.count ?? 0 }

    /// The upper bound of the bucket that quantile `quantile` falls in (`+Inf` past the last bound), or `nil` if empty.
    func bucketBound(at quantile: Double) -> Double? {
        guard self.total > 0 else { return nil }
        let target = quantile * self.total
        return self.buckets.first { $0.count >= target }?.bound ?? .infinity
    }
}

/// Reads one sample value (the first line starting with `name` followed by a space or `{`) from Prometheus text.
func metricValue(_ name: String, in text: String) -> Double? {
    for line in text.split(separator: "\n") where line.hasPrefix(name) {
        let after = line.dropFirst(name.count)
        guard after.first == " " || after.first == "{", let space = line.lastIndex(of: " ") else { continue }
        return Double(line[line.index(after: space)...])
    }
    return nil
}
