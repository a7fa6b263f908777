/// When a refused CURVE key is worth a log line: once a minute per key. A refused peer retries every
/// 100 ms (libzmq's reconnect interval), and one line per key a minute says as much as ten a second.
/// A value with no clock and no lock: the ZAP decisions that use it keep it under their own lock.
public struct CurveRefusalLog: Sendable {
    /// When each refused key was last logged (seconds, on any monotonic clock).
    private var lastLogged: [String: Int64] = [:]

    /// Keys remembered at most; past it the memory starts afresh (a flood of distinct keys logs again, once each).
    static let capacity = 10_000

    /// Creates an empty log.
    public init() {}

    /// Whether the refusal of `publicKey` at `nowSeconds` should be logged; records it when it should.
    public mutating func shouldLog(_ publicKey: String, nowSeconds: Int64) -> Bool {
        if let last = self.lastLogged[publicKey], nowSeconds - last < 60 { return false }
        if self.lastLogged.count >= Self.capacity { self.lastLogged.removeAll() }
        self.lastLogged[publicKey] = nowSeconds
        return true
    }
}
