import ZeroMQ

/// The bench's own CURVE client keys, read from certificate files (`wavecast keygen`'s), never from argv.
enum BenchCurve {
    /// The client keys for the secret certificate `secretFile` and the server's public certificate `serverFile`;
    /// `nil` when neither is given.
    ///
    /// - Throws: ``BenchError`` when only one is given, or a certificate cannot be read or is not the kind needed.
    static func keys(secretFile: String?, serverFile: String?) throws(BenchError) -> CurveClientKeys? {
        switch (secretFile, serverFile) {
        case (nil, nil): return nil
        case (let secretFile?, let serverFile?):
            let keys: CurveKeyPair?
            let server: CurveCertificate
            do {
                keys = try CurveCertificate(contentsOf: secretFile).keyPair()
                server = try CurveCertificate(contentsOf: serverFile)
            } catch {
                throw BenchError("\(error)")
            }
            guard let keys else {
                throw BenchError("\(secretFile) is a public certificate; give the NAME.key_secret file")
            }
            return CurveClientKeys(keys: keys, serverPublicKey: server.publicKey)
        default:
            throw BenchError("CURVE needs both --curve-key-file (the bench's, secret) and --server-key-file (public)")
        }
    }
}
