import WavecastCore
import ZeroMQ

/// Which encoder a stream goes to when `wavecast feed` is given several (or a name with several addresses): the
/// stream's rendezvous ranking over them, and a connection to the first choice that answers.
///
/// Every feeder ranks the same encoders the same way (``RendezvousHash``), so a stream goes to one encoder without
/// a broker; when that encoder is lost, the next choice takes its streams and no others. With one encoder there is
/// no choice to make: the connection is made as it always was, and waits for the encoder as long as `--timeout`.
final class EncoderRoute {
    /// The stream's encoders, first choice first.
    private(set) var ranking: [String]
    /// The connection to the encoder that took the stream.
    private(set) var client: IngestClient
    /// Whether there is an encoder to fail over to: more than one in the ranking.
    var hasChoice: Bool { self.ranking.count > 1 }

    private let context: ZMQContext
    private let endpoints: [String]
    private let stream: StreamID
    private let timeoutSeconds: Double
    private let failoverSeconds: Double
    private let curve: CurveOptions

    /// Resolves `endpoints`, ranks them for `stream` and connects to the first choice that answers.
    ///
    /// - Parameters:
    ///   - endpoints: The `--encoder` values: `tcp://HOST:PORT`, a name standing for every address it resolves to.
    ///   - timeoutSeconds: How long a request waits for its reply once the stream has its encoder.
    ///   - failoverSeconds: How long each choice has to answer before the next is tried (with several).
    /// - Throws: ``CLIError`` naming every encoder tried when none answers, or every name that did not resolve.
    init(
        context: ZMQContext,
        endpoints: [String],
        stream: StreamID,
        timeoutSeconds: Double,
        failoverSeconds: Double,
        curve: CurveOptions
    ) throws {
        self.context = context
        self.endpoints = endpoints
        self.stream = stream
        self.timeoutSeconds = timeoutSeconds
        self.failoverSeconds = failoverSeconds
        self.curve = curve
        self.ranking = RendezvousHash(keys: try Self.keys(for: endpoints)).ranking(for: stream)
        guard self.ranking.count > 1 else {
            // One encoder: no probe, no failover timeout. A request waits --timeout for it, as before, so a feeder
            // started before its encoder is still answered once the encoder is up.
            self.client = try IngestClient(
                context: context,
                endpoint: self.ranking[0],
                timeoutSeconds: timeoutSeconds,
                curve: curve
            )
            return
        }
        self.client = try Self.connectToFirstAnswering(
            self.ranking,
            context: context,
            stream: stream,
            timeoutSeconds: timeoutSeconds,
            failoverSeconds: failoverSeconds,
            curve: curve
        )
    }

    /// Gives up on the encoder that has the stream (it stopped answering) and connects to the first choice, in a
    /// ranking made anew, that answers: the names are resolved again, since a lost encoder's replacement may have
    /// a new address.
    ///
    /// The lost encoder is left out even if its name still resolves to it; one ranked above it that is back takes
    /// the stream, as rendezvous hashing says it should.
    ///
    /// - Throws: ``CLIError`` naming every encoder tried when none answers.
    func failOver() throws {
        let lost = self.client.endpoint
        let keys = (try? Self.keys(for: self.endpoints)) ?? self.ranking
        self.ranking = RendezvousHash(keys: keys).ranking(for: self.stream)
        guard self.ranking.contains(where: { $0 != lost }) else {
            throw CLIError("the encoder at \(lost) stopped answering, and there is no other to take \(self.stream)")
        }
        self.client = try Self.connectToFirstAnswering(
            self.ranking,
            context: self.context,
            stream: self.stream,
            timeoutSeconds: self.timeoutSeconds,
            failoverSeconds: self.failoverSeconds,
            curve: self.curve,
            lost: lost
        )
    }

    /// Tries the encoders of `ranking` in order (all but `lost`), each on a socket of its own, until one answers
    /// within `failoverSeconds`.
    ///
    /// A fresh socket each time: a DEALER connected to a lost encoder keeps its request queued for when it comes
    /// back, and would play the stream there too. Closing it (linger 0) drops the request.
    private static func connectToFirstAnswering(
        _ ranking: [String],
        context: ZMQContext,
        stream: StreamID,
        timeoutSeconds: Double,
        failoverSeconds: Double,
        curve: CurveOptions,
        lost: String? = nil
    ) throws -> IngestClient {
        let wait = String(seconds: failoverSeconds)
        var silent: [String] = []
        var hint = ""
        for (index, endpoint) in ranking.enumerated() where endpoint != lost {
            let client = try IngestClient(
                context: context,
                endpoint: endpoint,
                timeoutSeconds: timeoutSeconds,
                curve: curve
            )
            hint = client.hint
            if try client.answers(stream: .string(stream.rawValue), withinSeconds: failoverSeconds) {
                let choice = index == 0 ? "first choice" : "choice \(index + 1)"
                printError("\(stream): encoder \(endpoint) took the stream (\(choice) of \(ranking.count))")
                return client
            }
            silent.append(endpoint)
            printError("\(stream): encoder \(endpoint) did not answer within \(wait) s")
        }
        throw CLIError(
            "no encoder answered within \(wait) s for \(stream); tried, in rendezvous order: "
                + silent.joined(separator: ", ") + (lost.map { " (after \($0) stopped answering)" } ?? "") + "; "
                + hint
        )
    }

    /// The encoders' keys: each `tcp://` endpoint whose host is a name becomes one endpoint per IPv4 address it
    /// resolves to (libzmq would connect to the first only); an address, or another transport, is a key as written.
    ///
    /// A name that does not resolve is left out, with a warning, while others remain. When nothing resolves and
    /// only one endpoint was given, it is kept as written: libzmq resolves it itself and keeps trying, as a feeder
    /// with one encoder always did.
    ///
    /// - Throws: ``CLIError`` naming each name and the resolver's reason, when several were given and none resolves.
    static func keys(for endpoints: [String]) throws -> [String] {
        var keys: [String] = []
        var failures: [EndpointResolutionError] = []
        for endpoint in endpoints {
            guard let parsed = TCPEndpoint(endpoint) else {
                keys.append(endpoint)
                continue
            }
            guard !parsed.hasNumericHost else {
                keys.append(parsed.description)
                continue
            }
            do throws(EndpointResolutionError) {
                // IPv4 only: Wavecast's sockets leave ZMQ_IPV6 off, so an encoder listens on IPv4 and a feeder
                // reaches IPv4 (libzmq, resolving a name itself, asks for A records only). A name's IPv6 addresses
                // would be choices that never answer, each costing a stream --failover-timeout.
                let addresses = try parsed.resolved()
                let ipv4 = addresses.filter { !$0.host.contains(":") }
                guard !ipv4.isEmpty else {
                    let found = addresses.map(\.host).joined(separator: ", ")
                    throw EndpointResolutionError(host: parsed.host, reason: "no IPv4 address, only \(found)")
                }
                keys += ipv4.map(\.description)
            } catch {
                failures.append(error)
            }
        }
        if keys.isEmpty {
            if endpoints.count == 1 { return endpoints }
            throw CLIError(
                "no --encoder resolves to an address: "
                    + failures.map(\.description).joined(separator: "; ") + "; is --encoder right?"
            )
        }
        for failure in failures {
            printError("warning: \(failure); that --encoder is left out")
        }
        return keys
    }
}
