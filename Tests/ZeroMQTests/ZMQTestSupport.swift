import ZeroMQ

/// Helpers shared by the ZeroMQ tests: loopback endpoints and bounded waits.
enum ZMQTestSupport {
    /// How long any single blocking receive in these tests may wait before the test fails instead of hanging.
    static let receiveTimeoutMilliseconds: Int32 = 5000

    /// Binds `socket` to a free loopback port and returns the endpoint peers connect to.
    static func bindLoopback(_ socket: ZMQSocket) throws(ZMQError) -> String {
        try socket.bind("tcp://127.0.0.1:*")
        let endpoint = socket.lastEndpoint
        precondition(endpoint.hasPrefix("tcp://127.0.0.1:"), "unexpected endpoint \(endpoint)")
        return endpoint
    }

    /// Makes a socket whose blocking receives and sends give up after ``receiveTimeoutMilliseconds``.
    static func makeSocket(_ context: ZMQContext, _ type: ZMQSocketType) throws(ZMQError) -> ZMQSocket {
        let socket = try ZMQSocket(context: context, type: type)
        try socket.setReceiveTimeout(milliseconds: Self.receiveTimeoutMilliseconds)
        try socket.setSendTimeout(milliseconds: Self.receiveTimeoutMilliseconds)
        return socket
    }

    /// Bytes of a string, for readable frames.
    static func bytes(_ text: String) -> [UInt8] {
        Array(text.utf8)
    }
}
