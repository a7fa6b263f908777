import NIOHTTP1

/// Where a reconnecting client left off: `?resume=EPOCH:SEQ`, the epoch and sequence of the last chunk it had.
struct ResumePoint: Sendable, Hashable {
    /// The stream's incarnation the client was following.
    var epoch: UInt32
    /// The last chunk it had.
    var sequence: UInt64

    /// Parses the query value `EPOCH:SEQ`: two whole numbers, the epoch from 1 to 2³²−1.
    ///
    /// - Throws: ``HandshakeRejection`` (400) saying what is wrong with it.
    init(parsing value: Substring) throws(HandshakeRejection) {
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let epoch = UInt32(parts[0]), epoch != 0, let sequence = UInt64(parts[1]) else {
            throw HandshakeRejection(
                status: .badRequest,
                reason: "resume must be EPOCH:SEQ (the epoch and seq of the last chunk you had, e.g. "
                    + "resume=3141592653:41), not '\(value.prefix(40))'"
            )
        }
        self.epoch = epoch
        self.sequence = sequence
    }

    /// A point known to be valid.
    init(epoch: UInt32, sequence: UInt64) {
        self.epoch = epoch
        self.sequence = sequence
    }
}
