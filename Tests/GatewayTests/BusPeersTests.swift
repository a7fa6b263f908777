import Testing
import ZeroMQ

@testable import Gateway

/// Which encoders the bus socket connects to as names resolve (no sockets, no resolver).
struct BusPeersTests {
    static let encoders = TCPEndpoint(host: "encoder.wavecast.svc", port: 5556)

    static func addresses(_ hosts: String...) -> [TCPEndpoint] {
        hosts.map { TCPEndpoint(host: $0, port: 5556) }
    }

    @Test func addressesAreConnectedAtOnceAndNamesWhenResolved() {
        var peers = BusPeers(endpoints: [
            "tcp://10.0.0.9:5556", "tcp://encoder.wavecast.svc:5556", "ipc:///run/bus", "tcp://10.0.0.9:5556",
        ])
        #expect(peers.fixed == ["tcp://10.0.0.9:5556", "ipc:///run/bus"])
        #expect(peers.names == [Self.encoders])
        #expect(peers.start() == [.connect("tcp://10.0.0.9:5556"), .connect("ipc:///run/bus")])
        #expect(
            peers.resolved(Self.encoders, to: Self.addresses("10.0.0.1", "10.0.0.2"))
                == [.connect("tcp://10.0.0.1:5556"), .connect("tcp://10.0.0.2:5556")]
        )
        #expect(peers.connected.count == 4)
    }

    @Test func encodersComingAndGoingAreConnectedAndDropped() {
        var peers = BusPeers(endpoints: ["tcp://encoder.wavecast.svc:5556"])
        #expect(peers.start().isEmpty)
        _ = peers.resolved(Self.encoders, to: Self.addresses("10.0.0.1", "10.0.0.2"))
        // The same answer again changes nothing.
        #expect(peers.resolved(Self.encoders, to: Self.addresses("10.0.0.1", "10.0.0.2")).isEmpty)
        // One more encoder.
        #expect(
            peers.resolved(Self.encoders, to: Self.addresses("10.0.0.1", "10.0.0.2", "10.0.0.3"))
                == [.connect("tcp://10.0.0.3:5556")]
        )
        // One gone, one replaced at a new address: the dropped ones first.
        #expect(
            peers.resolved(Self.encoders, to: Self.addresses("10.0.0.2", "10.0.0.4"))
                == [
                    .disconnect("tcp://10.0.0.1:5556"), .disconnect("tcp://10.0.0.3:5556"),
                    .connect("tcp://10.0.0.4:5556"),
                ]
        )
        #expect(peers.connected == ["tcp://10.0.0.2:5556", "tcp://10.0.0.4:5556"])
    }

    @Test func anAddressTwoEndpointsShareIsConnectedOnceAndKeptWhileEitherHasIt() {
        let other = TCPEndpoint(host: "encoder-0.encoder.wavecast.svc", port: 5556)
        var peers = BusPeers(endpoints: [
            "tcp://encoder.wavecast.svc:5556", "tcp://encoder-0.encoder.wavecast.svc:5556", "tcp://10.0.0.1:5556",
        ])
        #expect(peers.start() == [.connect("tcp://10.0.0.1:5556")])
        #expect(peers.resolved(Self.encoders, to: Self.addresses("10.0.0.1")).isEmpty)
        #expect(peers.resolved(other, to: Self.addresses("10.0.0.1")).isEmpty)
        #expect(peers.resolved(Self.encoders, to: Self.addresses("10.0.0.2")) == [.connect("tcp://10.0.0.2:5556")])
        #expect(peers.connected == ["tcp://10.0.0.1:5556", "tcp://10.0.0.2:5556"])
        #expect(peers.resolved(other, to: Self.addresses("10.0.0.2")).isEmpty, "the fixed endpoint keeps 10.0.0.1")
        #expect(peers.connected == ["tcp://10.0.0.1:5556", "tcp://10.0.0.2:5556"])
    }
}
