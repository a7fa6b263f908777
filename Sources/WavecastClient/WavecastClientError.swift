/// Why a WebSocket client could not connect or went wrong.
public struct WavecastClientError: Error, Hashable, Sendable {
    private enum Base: Hashable, Sendable {
        case invalidURL(String)
        case notUpgraded(status: Int?)
        case handshakeTimeout
    }

    private let base: Base

    private init(_ base: Base) {
        self.base = base
    }

    /// The text is not a `ws://host[:port]/path` URL.
    public static func invalidURL(_ text: String) -> Self { Self(.invalidURL(text)) }

    /// The server answered the upgrade request with something other than `101 Switching Protocols`
    /// (`status` is its HTTP status, when one was seen).
    public static func notUpgraded(status: Int?) -> Self { Self(.notUpgraded(status: status)) }

    /// The server did not finish the upgrade in time.
    public static let handshakeTimeout = Self(.handshakeTimeout)

    /// The HTTP status of a refused upgrade, if that is what this error is.
    public var refusedStatus: Int? {
        if case .notUpgraded(let status) = self.base { return status }
        return nil
    }
}

extension WavecastClientError: CustomStringConvertible {
    /// A short reason, for a person (and for grouping failures in a load test).
    public var description: String {
        switch self.base {
        case .invalidURL(let text): "not a ws://host[:port]/path URL: \(text)"
        case .notUpgraded(let status?): "upgrade refused: HTTP \(status)"
        case .notUpgraded(nil): "upgrade refused"
        case .handshakeTimeout: "WebSocket handshake timed out"
        }
    }
}
