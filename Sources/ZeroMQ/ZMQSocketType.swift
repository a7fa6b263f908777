import CZeroMQ

/// The ZeroMQ socket patterns Wavecast uses.
public enum ZMQSocketType: Sendable, Hashable {
    case publisher
    case subscriber
    /// XSUB: a subscriber whose subscriptions are messages it sends, and which may send other messages upstream.
    case extendedSubscriber
    /// XPUB: a publisher that also receives its subscribers' (un)subscriptions as messages.
    case extendedPublisher
    case request
    case reply
    case dealer
    case router
    case push
    case pull
    case pair

    var rawValue: Int32 {
        switch self {
        case .publisher: ZMQ_PUB
        case .subscriber: ZMQ_SUB
        case .extendedSubscriber: ZMQ_XSUB
        case .extendedPublisher: ZMQ_XPUB
        case .request: ZMQ_REQ
        case .reply: ZMQ_REP
        case .dealer: ZMQ_DEALER
        case .router: ZMQ_ROUTER
        case .push: ZMQ_PUSH
        case .pull: ZMQ_PULL
        case .pair: ZMQ_PAIR
        }
    }
}
