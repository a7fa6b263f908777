/// What a CURVE client needs to connect: its own key pair and the server's public key.
public struct CurveClientKeys: Sendable, Hashable {
    /// The client's key pair.
    public var keys: CurveKeyPair
    /// The server's public key, Z85.
    public var serverPublicKey: String

    /// Keys for a client of the server whose public key is `serverPublicKey`.
    public init(keys: CurveKeyPair, serverPublicKey: String) {
        self.keys = keys
        self.serverPublicKey = serverPublicKey
    }
}

extension ZMQSocket {
    /// Makes this socket a CURVE client with `client`'s keys; before it connects.
    public func makeCurveClient(_ client: CurveClientKeys) throws(ZMQError) {
        try self.makeCurveClient(keys: client.keys, serverPublicKey: client.serverPublicKey)
    }
}
