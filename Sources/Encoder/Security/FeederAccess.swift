/// What the sender of a request may do, as the reactor hands it to the state machine.
enum FeederAccess: Sendable, Hashable {
    /// Authentication is off: anything.
    case unrestricted
    /// An allowed key, with its limits.
    case granted(FeederGrant)
    /// The key was allowed at its handshake but is not on the allow-list any more.
    case revoked
}
