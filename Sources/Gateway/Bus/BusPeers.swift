import ZeroMQ

/// The encoders the bus socket connects to: addresses given as such, and host names resolved again and again.
///
/// A name such as a Kubernetes headless Service's stands for every encoder behind it, and the set changes as
/// encoders come and go. libzmq would connect to the first address only, so each name's addresses are connected
/// one by one, and the differences carried out as they are resolved afresh. Pure: the resolving and the socket
/// are the caller's; this decides what to connect and what to drop.
struct BusPeers: Sendable {
    /// A change to make on the bus socket.
    enum Action: Equatable, Sendable {
        case connect(String)
        case disconnect(String)
    }

    /// The endpoints that need no resolving (addresses, `ipc://`, `inproc://`), connected once.
    let fixed: [String]
    /// The `tcp://` endpoints whose host is a name, to resolve periodically.
    let names: [TCPEndpoint]
    /// Each name's addresses as last resolved.
    private var addressesOfName: [TCPEndpoint: Set<String>] = [:]
    /// How many of the configured endpoints and names lead to each connected address: two names may share one.
    private var references: [String: Int] = [:]

    /// Sorts `endpoints` (as given to `--bus`) into those to connect as they are and names to resolve.
    init(endpoints: [String]) {
        var fixed: [String] = []
        var names: [TCPEndpoint] = []
        for endpoint in endpoints {
            if let tcp = TCPEndpoint(endpoint), !tcp.hasNumericHost {
                if !names.contains(tcp) { names.append(tcp) }
            } else if !fixed.contains(endpoint) {
                fixed.append(endpoint)
            }
        }
        self.fixed = fixed
        self.names = names
    }

    /// The addresses connected now.
    var connected: [String] { self.references.keys.sorted() }

    /// What to connect before any name is resolved.
    mutating func start() -> [Action] {
        self.fixed.compactMap { self.retain($0) }
    }

    /// `name` resolved to `addresses`: connects the new ones and drops those it no longer has.
    ///
    /// A name that fails to resolve is not passed here: its last addresses stay connected (a resolver that is
    /// down says nothing about the encoders, and libzmq keeps retrying the dead ones for free).
    mutating func resolved(_ name: TCPEndpoint, to addresses: [TCPEndpoint]) -> [Action] {
        let now = Set(addresses.map(\.description))
        let before = self.addressesOfName[name] ?? []
        self.addressesOfName[name] = now
        let dropped = before.subtracting(now).sorted().compactMap { self.release($0) }
        let added = now.subtracting(before).sorted().compactMap { self.retain($0) }
        return dropped + added
    }

    private mutating func retain(_ address: String) -> Action? {
        self.references[address, default: 0] += 1
        return self.references[address] == 1 ? .connect(address) : nil
    }

    private mutating func release(_ address: String) -> Action? {
        guard let count = self.references[address] else { return nil }
        if count > 1 {
            self.references[address] = count - 1
            return nil
        }
        self.references[address] = nil
        return .disconnect(address)
    }
}
