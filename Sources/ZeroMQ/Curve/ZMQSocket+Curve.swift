import CZeroMQ

extension ZMQSocket {
    /// Makes this socket a CURVE server with `keys`: every peer must complete a CURVE handshake,
    /// and the context's ZAP handler (``ZAPHandler``) decides which client keys are let in.
    /// Call before `bind`.
    ///
    /// - Parameter domain: The ZAP domain the handler sees for this socket's peers.
    public func makeCurveServer(keys: CurveKeyPair, domain: String) throws(ZMQError) {
        try self.setOption(ZMQ_ZAP_DOMAIN, bytes: Array(domain.utf8))
        try self.setOption(ZMQ_CURVE_SERVER, 1)
        try self.setOption(ZMQ_CURVE_SECRETKEY, bytes: Array(keys.secretKey.utf8))
    }

    /// Makes this socket a CURVE client presenting `keys`, which connects only to a server holding
    /// the secret key of `serverPublicKey`. Call before `connect`.
    public func makeCurveClient(keys: CurveKeyPair, serverPublicKey: String) throws(ZMQError) {
        try self.setOption(ZMQ_CURVE_SERVERKEY, bytes: Array(serverPublicKey.utf8))
        try self.setOption(ZMQ_CURVE_PUBLICKEY, bytes: Array(keys.publicKey.utf8))
        try self.setOption(ZMQ_CURVE_SECRETKEY, bytes: Array(keys.secretKey.utf8))
    }
}
