import Foundation
import WavecastCore

#if canImport(Glibc)
import Glibc

private let systemSend = Glibc.send
private let systemClose = Glibc.close
#elseif canImport(Darwin)
import Darwin

private let systemSend = Darwin.send
private let systemClose = Darwin.close
#endif

/// A WebSocket client written by hand on a blocking POSIX TCP socket to 127.0.0.1.
///
/// Nothing is hidden from the test: it sends exactly the handshake it is given, reads the raw HTTP
/// response, reads frames one by one, and can send frames a well-behaved client never would
/// (unmasked, oversized, fragmented control frames). Every read is bounded by a timeout.
///
/// Reads must come from one thread at a time (the read buffer is not locked); sends may come from any.
public final class RawWebSocket: @unchecked Sendable {
    // Thread safety: `descriptor` never changes; `buffer` is touched only by the one reading thread
    // (by contract, see above).
    /// The socket's file descriptor.
    public let descriptor: Int32
    /// The port on 127.0.0.1 it is connected to.
    public let port: Int
    private var buffer: [UInt8] = []

    /// The GUID of RFC 6455 §1.3 that `Sec-WebSocket-Accept` hashes with the key.
    public static let acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// One frame as it came off the wire.
    public struct Frame: Sendable {
        /// The FIN bit: the last frame of a message.
        public var fin: Bool
        /// The opcode (1 text, 2 binary, 8 close, 9 ping, 10 pong, 0 continuation).
        public var opcode: UInt8
        /// Whether the frame came masked (a server's never should).
        public var masked: Bool
        /// The payload, unmasked.
        public var payload: [UInt8]

        /// A frame as read.
        public init(fin: Bool, opcode: UInt8, masked: Bool, payload: [UInt8]) {
            self.fin = fin
            self.opcode = opcode
            self.masked = masked
            self.payload = payload
        }

        /// The payload as UTF-8 text.
        public var text: String { String(decoding: self.payload, as: UTF8.self) }
        /// The status code of a close frame (nil when it has none).
        public var closeCode: UInt16? {
            guard self.opcode == 0x8, self.payload.count >= 2 else { return nil }
            return UInt16(self.payload[0]) << 8 | UInt16(self.payload[1])
        }
        /// The reason of a close frame.
        public var closeReason: String { String(decoding: self.payload.dropFirst(2), as: UTF8.self) }
    }

    /// An HTTP response head (and its body, when it has a Content-Length).
    public struct HTTPResponse: Sendable {
        /// The status code.
        public var status: Int
        /// The header fields, in order.
        public var headers: [(name: String, value: String)]
        /// The body (empty without a `Content-Length`).
        public var body: String

        /// A response with `status`, `headers` and `body`.
        public init(status: Int, headers: [(name: String, value: String)], body: String) {
            self.status = status
            self.headers = headers
            self.body = body
        }

        /// The first value of header `name` (case-insensitive).
        public func header(_ name: String) -> String? {
            self.headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    /// Connects to `127.0.0.1:port`.
    ///
    /// - Parameter receiveBufferSize: Sets `SO_RCVBUF` before connecting (a small one makes a
    ///   client that stops reading stall the server quickly).
    public init(port: Int, receiveBufferSize: Int? = nil) throws {
        #if canImport(Glibc)
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { throw HarnessError("socket() failed: errno \(errno)") }
        self.descriptor = descriptor
        self.port = port
        if var size = receiveBufferSize.map(Int32.init) {
            setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        // Reads wake up often so every wait can check its own deadline.
        var slice = timeval(tv_sec: 0, tv_usec: 50_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &slice, socklen_t(MemoryLayout<timeval>.size))
        var sendTimeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &sendTimeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            let error = errno
            _ = systemClose(descriptor)
            throw HarnessError("connect to 127.0.0.1:\(port) failed: errno \(error)")
        }
    }

    deinit {
        _ = systemClose(self.descriptor)
    }

    /// The kernel's receive buffer size for this socket (`SO_RCVBUF`, as the kernel doubled it).
    public var receiveBufferSize: Int {
        var size: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(self.descriptor, SOL_SOCKET, SO_RCVBUF, &size, &length)
        return Int(size)
    }

    // MARK: Sending

    /// Sends all of `bytes`.
    public func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes {
                systemSend(self.descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            guard written > 0 else { throw HarnessError("send failed: errno \(errno)") }
            offset += written
        }
    }

    /// The text of a handshake request for `path`: the standard headers, minus `omitting`, plus `extra`.
    public static func handshake(
        path: String,
        key: String = "dGhlIHNhbXBsZSBub25jZQ==",
        omitting: Set<String> = [],
        extra: [(String, String)] = [],
        method: String = "GET"
    ) -> String {
        let standard: [(String, String)] = [
            ("Host", "127.0.0.1"),
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", key),
            ("Sec-WebSocket-Version", "13"),
        ]
        let headers = standard.filter { !omitting.contains($0.0) } + extra
        return "\(method) \(path) HTTP/1.1\r\n" + headers.map { "\($0.0): \($0.1)\r\n" }.joined() + "\r\n"
    }

    /// The `Sec-WebSocket-Accept` a server must answer `key` with.
    public static func accept(for key: String) -> String {
        Base64.encode(SHA1.digest(Array((key + Self.acceptGUID).utf8)))
    }

    /// Sends one frame: masked with a fixed-per-call random key unless `masked` is false.
    public func sendFrame(opcode: UInt8, payload: [UInt8], fin: Bool = true, masked: Bool = true, rsv: UInt8 = 0) throws
    {
        try self.send(Self.frame(opcode: opcode, payload: payload, fin: fin, masked: masked, rsv: rsv))
    }

    /// The bytes of one client frame: masked with a random key unless `masked` is false.
    ///
    /// - Parameter rsv: The reserved bits RSV1-3 as the frame's first byte carries them (`0x40`, `0x20`, `0x10`).
    public static func frame(
        opcode: UInt8,
        payload: [UInt8],
        fin: Bool = true,
        masked: Bool = true,
        rsv: UInt8 = 0
    )
        -> [UInt8]
    {
        let key = (0..<4).map { _ in UInt8.random(in: 0...255) }
        var frame = Self.frameHeader(
            opcode: opcode,
            length: payload.count,
            fin: fin,
            maskKey: masked ? key : nil,
            rsv: rsv
        )
        frame += masked ? payload.enumerated().map { $0.element ^ key[$0.offset % 4] } : payload
        return frame
    }

    /// The header of a client frame announcing `length` payload bytes (with the masking key, if any), and no payload:
    /// to announce more than a server will take without sending it.
    public static func frameHeader(
        opcode: UInt8,
        length: Int,
        fin: Bool = true,
        maskKey: [UInt8]? = [1, 2, 3, 4],
        rsv: UInt8 = 0
    ) -> [UInt8] {
        var header: [UInt8] = [(fin ? 0x80 : 0) | (rsv & 0x70) | opcode]
        let maskBit: UInt8 = maskKey != nil ? 0x80 : 0
        if length < 126 {
            header.append(maskBit | UInt8(length))
        } else if length <= 0xFFFF {
            header += [maskBit | 126, UInt8(length >> 8), UInt8(length & 0xFF)]
        } else {
            header.append(maskBit | 127)
            for shift in stride(from: 56, through: 0, by: -8) {
                header.append(UInt8(truncatingIfNeeded: UInt64(length) >> UInt64(shift)))
            }
        }
        return header + (maskKey ?? [])
    }

    /// Sends a close frame with `code` and `reason`.
    public func sendClose(code: UInt16, reason: String = "") throws {
        try self.sendFrame(opcode: 0x8, payload: [UInt8(code >> 8), UInt8(code & 0xFF)] + Array(reason.utf8))
    }

    /// Closes our side for writing (a TCP FIN), leaving reading open.
    public func shutdownWrite() {
        shutdown(self.descriptor, Int32(SHUT_WR))
    }

    // MARK: Receiving

    /// Reads more bytes into the buffer; false at EOF. Throws when `deadline` passes first.
    private func fill(until deadline: ContinuousClock.Instant) throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(self.descriptor, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                self.buffer += chunk[0..<count]
                return true
            }
            if count == 0 { return false }
            let error = errno
            if error == ECONNRESET { return false }
            guard error == EAGAIN || error == EWOULDBLOCK || error == EINTR else {
                throw HarnessError("recv failed: errno \(error)")
            }
            if ContinuousClock.now >= deadline { throw HarnessError.readTimedOut }
        }
    }

    /// Reads exactly `count` bytes (raw, not parsed as frames); throws at EOF or when `timeout` passes.
    public func readBytes(count: Int, timeout: Duration = .seconds(5)) throws -> [UInt8] {
        let deadline = ContinuousClock.now + timeout
        while self.buffer.count < count {
            guard try self.fill(until: deadline) else {
                throw HarnessError("the connection ended after \(self.buffer.count) of \(count) bytes")
            }
        }
        defer { self.buffer.removeFirst(count) }
        return Array(self.buffer[0..<count])
    }

    /// Reads an HTTP response head, and its body when it has a `Content-Length`.
    public func readHTTPResponse(timeout: Duration = .seconds(5)) throws -> HTTPResponse {
        let deadline = ContinuousClock.now + timeout
        let terminator: [UInt8] = Array("\r\n\r\n".utf8)
        var headEnd: Int?
        while headEnd == nil {
            headEnd = self.buffer.firstRange(of: terminator)?.lowerBound
            if headEnd == nil {
                guard try self.fill(until: deadline) else {
                    throw HarnessError("the connection closed before a whole HTTP response head")
                }
            }
        }
        let head = String(decoding: self.buffer[..<headEnd!], as: UTF8.self)
        self.buffer.removeFirst(headEnd! + terminator.count)
        let lines = head.components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ", maxSplits: 2)
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let status = Int(statusParts[1]) else {
            throw HarnessError("bad status line: \(lines[0])")
        }
        var headers: [(name: String, value: String)] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append(
                (String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces))
            )
        }
        var response = HTTPResponse(status: status, headers: headers, body: "")
        if let length = response.header("Content-Length").flatMap(Int.init) {
            while self.buffer.count < length {
                guard try self.fill(until: deadline) else {
                    throw HarnessError("the connection closed after \(self.buffer.count) of \(length) body bytes")
                }
            }
            let body = self.buffer.prefix(length)
            response.body = String(decoding: body, as: UTF8.self)
            self.buffer.removeFirst(body.count)
        }
        return response
    }

    /// Reads the next frame; `nil` when the server closed the TCP connection first.
    ///
    /// - Throws: ``HarnessError/readTimedOut`` when no whole frame came within `timeout`.
    public func readFrame(timeout: Duration = .seconds(5)) throws -> Frame? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let frame = try self.parseFrame() { return frame }
            guard try self.fill(until: deadline) else {
                if self.buffer.isEmpty { return nil }
                throw HarnessError("the connection closed inside a frame (\(self.buffer.count) bytes left)")
            }
        }
    }

    /// Takes one whole frame off the buffer, if there is one.
    private func parseFrame() throws -> Frame? {
        guard self.buffer.count >= 2 else { return nil }
        let first = self.buffer[0]
        let second = self.buffer[1]
        guard first & 0x70 == 0 else { throw HarnessError("reserved bits set in a server frame: \(first)") }
        var length = Int(second & 0x7F)
        var offset = 2
        if length == 126 {
            guard self.buffer.count >= 4 else { return nil }
            length = Int(self.buffer[2]) << 8 | Int(self.buffer[3])
            offset = 4
        } else if length == 127 {
            guard self.buffer.count >= 10 else { return nil }
            length = self.buffer[2..<10].reduce(0) { $0 << 8 | Int($1) }
            offset = 10
        }
        let masked = second & 0x80 != 0
        var key: [UInt8] = []
        if masked {
            guard self.buffer.count >= offset + 4 else { return nil }
            key = Array(self.buffer[offset..<offset + 4])
            offset += 4
        }
        guard self.buffer.count >= offset + length else { return nil }
        var payload = Array(self.buffer[offset..<offset + length])
        if masked {
            payload = payload.enumerated().map { $0.element ^ key[$0.offset % 4] }
        }
        self.buffer.removeFirst(offset + length)
        return Frame(fin: first & 0x80 != 0, opcode: first & 0x0F, masked: masked, payload: payload)
    }

    /// Reads until the server closes the TCP connection (or `timeout`), returning the frames read.
    public func readUntilClosed(timeout: Duration = .seconds(5)) throws -> [Frame] {
        let deadline = ContinuousClock.now + timeout
        var frames: [Frame] = []
        while ContinuousClock.now < deadline {
            guard let frame = try self.readFrame(timeout: deadline - ContinuousClock.now) else { return frames }
            frames.append(frame)
        }
        throw HarnessError("the server did not close the connection within \(timeout)")
    }

    /// Reads raw bytes until the server closes the TCP connection, returning them (with any not yet parsed).
    ///
    /// - Throws: ``HarnessError/readTimedOut`` when the connection is still open after `timeout`.
    public func readUntilEOF(timeout: Duration = .seconds(5)) throws -> [UInt8] {
        let deadline = ContinuousClock.now + timeout
        while try self.fill(until: deadline) {}
        defer { self.buffer = [] }
        return self.buffer
    }

    // MARK: Conveniences

    /// Connects and completes a standard handshake for `path`, checking the 101 and its accept key.
    public static func open(port: Int, path: String, receiveBufferSize: Int? = nil) throws -> RawWebSocket {
        let socket = try RawWebSocket(port: port, receiveBufferSize: receiveBufferSize)
        let key = Base64.encode((0..<16).map { _ in UInt8.random(in: 0...255) })
        try socket.send(Array(Self.handshake(path: path, key: key).utf8))
        let response = try socket.readHTTPResponse()
        guard response.status == 101 else {
            throw HarnessError("handshake for \(path) got \(response.status): \(response.body)")
        }
        guard response.header("Sec-WebSocket-Accept") == Self.accept(for: key) else {
            throw HarnessError("wrong Sec-WebSocket-Accept: \(response.header("Sec-WebSocket-Accept") ?? "none")")
        }
        return socket
    }

    /// Sends a raw request and reads the response: for handshakes a server should refuse.
    public static func request(port: Int, _ text: String) throws -> HTTPResponse {
        let socket = try RawWebSocket(port: port)
        try socket.send(Array(text.utf8))
        return try socket.readHTTPResponse()
    }
}

extension RawWebSocket {
    /// `GET path` from `127.0.0.1:port`, for `/metrics`, `/healthz`, `/readyz` and `/streams`.
    public static func get(port: Int, path: String) throws -> HTTPResponse {
        try Self.request(port: port, "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    }

    /// ``get(port:path:)`` off the Swift concurrency threads.
    public static func get(port: Int, path: String) async throws -> HTTPResponse {
        try await blocking { try Self.get(port: port, path: path) }
    }

    /// The value of a Prometheus sample in a `/metrics` body, e.g. `wavecast_gateway_messages_sent_total`.
    public static func metric(_ name: String, in body: String) -> Double? {
        for line in body.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            if parts.count == 2, parts[0] == name { return Double(parts[1]) }
        }
        return nil
    }
}
