import ArgumentParser

#if canImport(Glibc)
import Glibc
#endif

/// `wavecast-bench wait-for-quiet`: returns once the machine is quiet (under a quarter of one core busy for a
/// second), or after `--limit` seconds, saying so; scripts/bench runs it before each measurement.
struct WaitForQuietCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wait-for-quiet",
        abstract: "Wait until the machine uses under 25 % of one core for a second (at most --limit seconds)."
    )

    @Option(help: "The longest wait, in seconds.")
    var limit = 120.0

    func run() throws {
        try MachineSample.waitForQuietSaying(limit: self.limit)
    }
}

/// `wavecast-bench loadtest-fields FILE`: a saved `wavecast loadtest --json` report as the `key=value` words the
/// tables use.
struct LoadTestFieldsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loadtest-fields",
        abstract: "Print a `wavecast loadtest --json` report's figures as key=value words."
    )

    @Argument(help: "The file holding the report.")
    var file: String

    func run() throws {
        let text = String(decoding: try SystemIO.readFile(self.file), as: UTF8.self)
        let summary = try LoadTestSummary(output: text)
        print(summary.fields.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
    }
}

/// `wavecast-bench free-ports N`: N distinct TCP ports on 127.0.0.1 that were free a moment ago, for the services
/// scripts/bench starts (each bound to port 0 by the kernel, all held until every one is chosen, then released).
struct FreePortsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "free-ports",
        abstract: "Print N distinct free TCP ports on 127.0.0.1."
    )

    @Argument(help: "How many ports.")
    var count = 1

    func validate() throws {
        guard (1...64).contains(self.count) else {
            throw ValidationError("the count must be between 1 and 64, not \(self.count)")
        }
    }

    func run() throws {
        print(try FreePorts.pick(self.count).map(String.init).joined(separator: " "))
    }
}

/// Free TCP ports on 127.0.0.1, for the services the bench starts (never fixed ports: another run, or the tests,
/// may be using them).
enum FreePorts {
    /// `count` distinct ports that were free a moment ago: each bound to port 0 by the kernel, all held until every
    /// one is chosen (so none repeats), then released for the service to bind.
    ///
    /// - Throws: ``BenchError`` if a socket cannot be made or bound.
    static func pick(_ count: Int) throws(BenchError) -> [Int] {
        var descriptors: [Int32] = []
        defer { for descriptor in descriptors { close(descriptor) } }
        var ports: [Int] = []
        for _ in 0..<count {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard descriptor >= 0 else { throw BenchError("socket() failed: \(String(cString: strerror(errno)))") }
            descriptors.append(descriptor)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
                }
            }
            guard bound else { throw BenchError("bind to 127.0.0.1:0 failed: \(String(cString: strerror(errno)))") }
            ports.append(Int(UInt16(bigEndian: address.sin_port)))
        }
        return ports
    }
}
