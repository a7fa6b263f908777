import NIOHTTP1

/// Why a WebSocket handshake was refused, and the response that says so.
///
/// When more than one holds, the response names the first of: draining, what is wrong with the request, the
/// per-address attempt cap, the client limit.
enum UpgradeRefusal: Sendable {
    /// The gateway is shutting down: 503, connect again to reach another.
    case draining
    /// The request itself is refused, by ``HandshakeCheck`` or ``TwilioHandshake``.
    case rejected(status: HTTPResponseStatus, reason: String, headers: [(String, String)])
    /// The address made more than `--max-connects-per-second` attempts this second: 429.
    case tooManyAttempts(address: String, perSecond: Int)
    /// `--max-clients` clients are connected: 503.
    case full(maxClients: Int)

    /// The response's status.
    var status: HTTPResponseStatus {
        switch self {
        case .draining, .full: .serviceUnavailable
        case .rejected(let status, _, _): status
        case .tooManyAttempts: .tooManyRequests
        }
    }

    /// The response's body, without its final newline.
    var reason: String {
        switch self {
        case .draining:
            "the gateway is shutting down (draining); connect again to reach another gateway"
        case .rejected(_, let reason, _):
            reason
        case .tooManyAttempts(let address, let perSecond):
            "too many connection attempts from \(address): at most \(perSecond) a second "
                + "(--max-connects-per-second); retry in a second"
        case .full(let maxClients):
            "the gateway is full (--max-clients \(maxClients)); try another gateway"
        }
    }

    /// The response's extra headers.
    var headers: [(String, String)] {
        switch self {
        case .rejected(_, _, let headers): headers
        case .draining, .tooManyAttempts, .full: [("Retry-After", "1")]
        }
    }
}
