import Foundation
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

/// A TCP relay on 127.0.0.1 that records every byte it passes each way: what anyone on the wire
/// between a client and a server would see. It serves one connection at a time, on a thread of its own.
public final class TCPRelay: Sendable {
    /// The port clients connect to instead of the server's.
    public let port: Int
    private let listener: Int32
    private let stopped = NIOLockedValueBox(false)
    private let captured = NIOLockedValueBox<[UInt8]>([])
    private let finished = DispatchSemaphore(value: 0)

    /// Listens on a free port and relays each connection to `127.0.0.1:upstreamPort`.
    public init(upstreamPort: Int) throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw HarnessError("socket() failed: errno \(errno)") }
        var address = Self.loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, length) == 0 && getsockname(listener, $0, &length) == 0
            }
        }
        guard bound, listen(listener, 8) == 0 else {
            close(listener)
            throw HarnessError("the relay cannot listen on 127.0.0.1: errno \(errno)")
        }
        self.listener = listener
        self.port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in
            self.serve(upstreamPort: upstreamPort)
            self.finished.signal()
        }
        thread.name = "tcp-relay"
        thread.start()
    }

    /// Every byte relayed so far, both ways, in the order read.
    public var bytes: [UInt8] { self.captured.withLockedValue { $0 } }

    /// Stops relaying and closes every socket (within 100 ms).
    public func stop() {
        guard
            !self.stopped.withLockedValue({
                let was = $0
                $0 = true
                return was
            })
        else { return }
        self.finished.wait()
        close(self.listener)
    }

    private var isStopped: Bool { self.stopped.withLockedValue { $0 } }

    private func serve(upstreamPort: Int) {
        while !self.isStopped {
            var poll = pollfd(fd: self.listener, events: Int16(POLLIN), revents: 0)
            guard Glibc.poll(&poll, 1, 50) > 0 else { continue }
            let client = accept(self.listener, nil, nil)
            guard client >= 0 else { continue }
            let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.loopback(port: upstreamPort)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                }
            }
            if connected {
                self.pump(client, upstream)
            }
            close(upstream)
            close(client)
        }
    }

    /// Copies bytes both ways until either side closes or the relay stops.
    private func pump(_ client: Int32, _ upstream: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        var polls = [
            pollfd(fd: client, events: Int16(POLLIN), revents: 0),
            pollfd(fd: upstream, events: Int16(POLLIN), revents: 0),
        ]
        while !self.isStopped {
            guard Glibc.poll(&polls, 2, 50) > 0 else { continue }
            for (index, entry) in polls.enumerated() where entry.revents != 0 {
                let count = buffer.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress, $0.count) }
                guard count > 0 else { return }
                self.captured.withLockedValue { $0.append(contentsOf: buffer[0..<count]) }
                let target = index == 0 ? upstream : client
                var written = 0
                while written < count {
                    let result = buffer.withUnsafeBytes {
                        send(target, $0.baseAddress! + written, count - written, Int32(MSG_NOSIGNAL))
                    }
                    guard result > 0 else { return }
                    written += result
                }
            }
        }
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return address
    }
}
