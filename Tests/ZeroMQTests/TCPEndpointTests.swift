import Testing
import ZeroMQ

/// Parsing `tcp://` endpoints and resolving their names to every address.
struct TCPEndpointTests {
    @Test(arguments: [
        ("tcp://127.0.0.1:5556", "127.0.0.1", 5556),
        ("tcp://encoder.wavecast.svc:5556", "encoder.wavecast.svc", 5556),
        ("tcp://[::1]:5556", "::1", 5556),
        ("tcp://*:1", "*", 1),
    ])
    func parsesHostAndPort(endpoint: String, host: String, port: Int) throws {
        let parsed = try #require(TCPEndpoint(endpoint))
        #expect(parsed.host == host)
        #expect(parsed.port == port)
        #expect(parsed.description == endpoint)
    }

    @Test(arguments: [
        "ipc:///tmp/bus", "tcp://", "tcp://host", "tcp://host:", "tcp://host:0", "tcp://host:65536", "tcp://:5556",
        "tcp://host:port", "tcp://a b:5556", "tcp://[::1:5556", "udp://host:5556",
    ])
    func refusesWhatIsNotATCPEndpoint(endpoint: String) {
        #expect(TCPEndpoint(endpoint) == nil)
    }

    @Test func anAddressResolvesToItself() throws {
        let endpoint = TCPEndpoint(host: "10.1.2.3", port: 5556)
        #expect(endpoint.hasNumericHost)
        #expect(try endpoint.resolved() == [endpoint])
        #expect(TCPEndpoint(host: "::1", port: 1).hasNumericHost)
        #expect(!TCPEndpoint(host: "localhost", port: 1).hasNumericHost)
    }

    @Test func aNameResolvesToItsAddresses() throws {
        // /etc/hosts names localhost on every machine; IPv4 at least.
        let addresses = try TCPEndpoint(host: "localhost", port: 5556).resolved()
        #expect(addresses.contains(TCPEndpoint(host: "127.0.0.1", port: 5556)))
        #expect(addresses.allSatisfy { $0.hasNumericHost && $0.port == 5556 })
        #expect(addresses == addresses.sorted { $0.host < $1.host })
    }

    @Test func anUnknownNameSaysWhichAndWhy() {
        // .invalid never resolves (RFC 6761).
        #expect(throws: EndpointResolutionError.self) {
            try TCPEndpoint(host: "no-such-encoder.invalid", port: 5556).resolved()
        }
        do {
            _ = try TCPEndpoint(host: "no-such-encoder.invalid", port: 5556).resolved()
        } catch {
            #expect(error.description.hasPrefix("cannot resolve 'no-such-encoder.invalid': "))
        }
    }
}
