import Foundation
import Testing
import WavecastCore
import WavecastTestSupport
import ZeroMQ

/// Feeders choosing a stream's encoder by rendezvous hashing, against real encoder processes: `wavecast feed` with
/// several `--encoder`s, and docs/DEPLOYMENT.md's pyzmq feeder run as written. Each stream lands on the encoder
/// ``RendezvousHash`` predicts (checked with `status` on every encoder), and on the next choice when the first is
/// down.
@Suite(.serialized, .onOwnThreads)
struct RendezvousFeedTests {
    /// A short tone, looping, so the stream is still there when `status` asks.
    private static func tone(in scratch: ScratchDirectory) throws -> String {
        try scratch.write("tone.wav", TestAudio.wav(seconds: 2))
    }

    /// The streams `endpoint`'s encoder is playing or has open, by `status`.
    private static func streams(at endpoint: String) throws -> [String] {
        let context = try ZMQContext()
        let socket = try ZMQSocket(context: context, type: .request)
        defer { socket.close() }
        try socket.setReceiveTimeout(milliseconds: 5000)
        try socket.connect(endpoint)
        try socket.send([Array(#"{"op":"status"}"#.utf8)])
        guard let reply = try socket.receive(), let last = reply.last else {
            throw HarnessError("no status reply from the encoder at \(endpoint)")
        }
        guard case .object(let object) = try JSONValue.parse(last), case .array(let entries)? = object["streams"] else {
            let text = String(decoding: last, as: UTF8.self)
            throw HarnessError("the encoder at \(endpoint) answered status with \(text)")
        }
        return entries.compactMap {
            guard case .object(let entry) = $0, case .string(let stream)? = entry["stream"] else { return nil }
            return stream
        }
    }

    /// A stream id (`prefix-N`) whose first choice among `keys` is `key`, so a test can aim at one encoder.
    private static func stream(choosing key: String, among keys: [String], prefix: String) throws -> String {
        let hash = RendezvousHash(keys: keys)
        for index in 0..<1000 where hash.firstChoice(for: try StreamID("\(prefix)-\(index)")) == key {
            return "\(prefix)-\(index)"
        }
        throw HarnessError("no stream among 1,000 chooses \(key)")
    }

    /// The keys `endpoint` stands for, as the CLI and the documented feeder resolve it: its IPv4 addresses.
    private static func keys(_ endpoint: String) throws -> [String] {
        try #require(TCPEndpoint(endpoint)).resolved().filter { !$0.host.contains(":") }.map(\.description)
    }

    private static func feed(_ arguments: [String]) throws -> (result: CommandResult, took: Duration) {
        let started = ContinuousClock.now
        let result = try ExternalTool.run(BuiltProducts.path("wavecast"), ["feed"] + arguments, timeout: .seconds(60))
        return (result, ContinuousClock.now - started)
    }

    /// Two live encoders, one given by name (`localhost`, resolved by the CLI): each of six streams lands on the
    /// encoder the ranking puts first, and only there.
    @Test func feedLandsOnThePredictedEncoder() throws {
        let scratch = try ScratchDirectory()
        let tone = try Self.tone(in: scratch)
        let first = try EncoderProcess()
        let second = try EncoderProcess()
        defer {
            first.stop()
            second.stop()
        }
        let named = first.ingest.replacingOccurrences(of: "127.0.0.1", with: "localhost")
        let keys = try Self.keys(named) + [second.ingest]
        #expect(keys.contains(first.ingest), "localhost resolved to \(keys)")
        var landed: [String: Int] = [:]
        for index in 0..<6 {
            let stream = "rdv-\(index)"
            let ranking = RendezvousHash(keys: keys).ranking(for: try StreamID(stream))
            let expected = try #require(ranking.first { $0 == first.ingest || $0 == second.ingest })
            let (result, _) = try Self.feed([
                tone, "--stream", stream, "--loop", "--encoder", named, "--encoder", second.ingest,
            ])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains(#""ok":true"#))
            #expect(result.stderr.contains("\(stream): encoder \(expected) took the stream"), "\(result.stderr)")
            let other = expected == first.ingest ? second.ingest : first.ingest
            #expect(try Self.streams(at: expected).contains(stream), "\(stream) is not on \(expected)")
            #expect(try !Self.streams(at: other).contains(stream), "\(stream) is on \(other) too")
            landed[expected, default: 0] += 1
        }
        print("[rendezvous] six streams over two encoders: \(landed.values.sorted())")
    }

    /// The first choice was never started: after `--failover-timeout` the second takes the stream, and says so.
    @Test func firstChoiceNotRunningGoesToTheSecond() throws {
        let scratch = try ScratchDirectory()
        let tone = try Self.tone(in: scratch)
        let live = try EncoderProcess()
        defer { live.stop() }
        let absent = "tcp://127.0.0.1:\(try FreePort.tcp())"
        let stream = try Self.stream(choosing: absent, among: [absent, live.ingest], prefix: "absent")
        let (result, took) = try Self.feed([
            tone, "--stream", stream, "--loop", "--encoder", absent, "--encoder", live.ingest,
            "--failover-timeout", "1",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("encoder \(absent) did not answer within 1 s"), "\(result.stderr)")
        #expect(result.stderr.contains("encoder \(live.ingest) took the stream (choice 2 of 2)"), "\(result.stderr)")
        #expect(try Self.streams(at: live.ingest).contains(stream))
        // 1 s for the silent first choice, then a live encoder's answer; the rest is the process starting.
        #expect(took >= .seconds(1) && took < .seconds(6), "took \(took)")
        print("[rendezvous] first choice not running: the stream was on its second choice after \(took)")
    }

    /// The first choice was killed (SIGKILL, no goodbye): the second takes the stream within the timeout.
    @Test func firstChoiceKilledGoesToTheSecond() throws {
        let scratch = try ScratchDirectory()
        let tone = try Self.tone(in: scratch)
        let killed = try EncoderProcess()
        let live = try EncoderProcess()
        defer { live.stop() }
        killed.kill()
        let stream = try Self.stream(choosing: killed.ingest, among: [killed.ingest, live.ingest], prefix: "killed")
        let (result, took) = try Self.feed([
            tone, "--stream", stream, "--loop", "--encoder", killed.ingest, "--encoder", live.ingest,
            "--failover-timeout", "1",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("encoder \(killed.ingest) did not answer within 1 s"), "\(result.stderr)")
        #expect(result.stderr.contains("encoder \(live.ingest) took the stream (choice 2 of 2)"), "\(result.stderr)")
        #expect(try Self.streams(at: live.ingest).contains(stream))
        #expect(took < .seconds(6), "took \(took)")
    }

    /// No encoder up: status 1 after one timeout each, and a message naming each encoder, in the order tried.
    @Test func noEncoderAnsweringFailsNamingEachOne() throws {
        let scratch = try ScratchDirectory()
        let tone = try Self.tone(in: scratch)
        let endpoints = try (0..<2).map { _ in "tcp://127.0.0.1:\(try FreePort.tcp())" }
        let ranking = RendezvousHash(keys: endpoints).ranking(for: try StreamID("nowhere"))
        let (result, took) = try Self.feed([
            tone, "--stream", "nowhere", "--encoder", endpoints[0], "--encoder", endpoints[1],
            "--failover-timeout", "1",
        ])
        #expect(result.status == 1)
        #expect(
            result.stderr.contains(
                "error: no encoder answered within 1 s for nowhere; tried, in rendezvous order: "
                    + "\(ranking[0]), \(ranking[1]); is wavecast-encoder running"
            ),
            "\(result.stderr)"
        )
        #expect(took >= .seconds(2) && took < .seconds(7), "took \(took)")
    }

    /// Encoders with CURVE on (sharing one key pair, as a StatefulSet's pods share a Secret): a feeder with a key
    /// lands on the first choice; one without is refused by each, silently, and told what to check.
    @Test func curveEncodersTakeAKeyedFeederAndTellAKeylessOneWhatToCheck() throws {
        let keys = try TestKeys()
        let scratch = try ScratchDirectory()
        let tone = try Self.tone(in: scratch)
        let encoders = try (0..<2).map { _ in try EncoderProcess(arguments: keys.encoderArguments) }
        defer {
            for encoder in encoders { encoder.stop() }
        }
        let endpoints = encoders.map(\.ingest)
        let choice = try #require(RendezvousHash(keys: endpoints).firstChoice(for: try StreamID("secure")))
        let arguments = [
            tone, "--stream", "secure", "--encoder", endpoints[0], "--encoder", endpoints[1], "--failover-timeout", "1",
        ]
        let keyless = try Self.feed(arguments).result
        #expect(keyless.status == 1)
        #expect(keyless.stderr.contains("no encoder answered within 1 s for secure"), "\(keyless.stderr)")
        #expect(keyless.stderr.contains("does it need a CURVE key (--curve-key-file)?"), "\(keyless.stderr)")
        let keyed = try Self.feed(
            arguments + [
                "--curve-key-file", keys.feederSecretCertificate, "--server-key-file", keys.encoderCertificate,
            ]
        ).result
        #expect(keyed.status == 0, "\(keyed.stderr)")
        #expect(
            keyed.stderr.contains("secure: encoder \(choice) took the stream (first choice of 2)"),
            "\(keyed.stderr)"
        )
    }

    /// `--loop --follow`: the encoder playing the stream is killed; the feeder notices within
    /// `--failover-timeout`, plays the file on the next choice and follows it there.
    @Test func followedLoopMovesToTheNextChoiceWhenItsEncoderDies() throws {
        let scratch = try ScratchDirectory()
        let tone = try Self.tone(in: scratch)
        let doomed = try EncoderProcess()
        let survivor = try EncoderProcess()
        defer { survivor.stop() }
        let stream = try Self.stream(choosing: doomed.ingest, among: [doomed.ingest, survivor.ingest], prefix: "moves")
        let feeder = try ChildProcess(
            BuiltProducts.path("wavecast"),
            [
                "feed", tone, "--stream", stream, "--loop", "--follow", "--encoder", doomed.ingest, "--encoder",
                survivor.ingest, "--failover-timeout", "1",
            ]
        )
        defer { feeder.kill() }
        _ = try pollBlocking(for: "\(stream) on its first choice", timeout: .seconds(10), every: .milliseconds(50)) {
            try Self.streams(at: doomed.ingest).contains(stream) ? true : nil
        }
        #expect(try !Self.streams(at: survivor.ingest).contains(stream))
        let killed = ContinuousClock.now
        doomed.kill()
        _ = try pollBlocking(for: "\(stream) on its next choice", timeout: .seconds(10), every: .milliseconds(20)) {
            try Self.streams(at: survivor.ingest).contains(stream) ? true : nil
        }
        let moved = ContinuousClock.now - killed
        #expect(feeder.isRunning, "the feeder stopped: \(feeder.output())")
        let said = feeder.output()
        #expect(said.contains("encoder \(doomed.ingest) stopped answering"), "\(said)")
        #expect(said.contains("encoder \(survivor.ingest) took the stream (choice 2 of 2)"), "\(said)")
        // The feeder polls every 250 ms and waits 1 s for a reply; then one request to the next choice.
        #expect(moved < .seconds(5), "moved after \(moved)")
        print("[rendezvous] encoder killed under a followed loop: on the next choice after \(moved)")
    }

    /// docs/DEPLOYMENT.md's pyzmq feeder, run as written against two encoders: its weights are the ones
    /// ``RendezvousHash`` computes, it plays each stream on the predicted encoder, and with that encoder killed it
    /// plays the stream on the next choice.
    @Test func documentedPyzmqFeederTakesTheNextChoice() throws {
        try PythonClient.requireModule("zmq")
        let snippet = try RepositoryFiles.snippet(marker: "rendezvous-snippet", in: "docs/DEPLOYMENT.md")
        let scratch = try ScratchDirectory()
        _ = try scratch.write("voice.wav", TestAudio.wav(seconds: 2))

        // Its weight function, alone, against the Swift one.
        let definitions = String(try #require(snippet.components(separatedBy: "key, s = connect(").first))
        let vectors = [
            ("tcp://10.0.0.5:5555", "demo"), ("tcp://[fd00::5]:5555", "call-42"), ("tcp://127.0.0.1:5555", "a"),
            ("tcp://encoder-0.encoder:5555", "tenant-a.room-7"),
        ]
        let printed = vectors.map { "print(weight(\"\($0.0)\", \"\($0.1)\"))" }.joined(separator: "\n")
        let weights = try ExternalTool.check(
            ExternalTool.run("python3", ["-c", definitions + printed], timeout: .seconds(30)),
            "the documented weight function"
        )
        let expected = try vectors.map { String(RendezvousHash.weight(of: $0.0, for: try StreamID($0.1))) }
        #expect(weights.stdout.split(separator: "\n").map(String.init) == expected)

        let first = try EncoderProcess()
        let second = try EncoderProcess()
        defer { second.stop() }
        let live = [first.ingest, second.ingest]
        let endpointList = #"["tcp://10.0.0.5:5555", "tcp://10.0.0.6:5555"]"#
        #expect(snippet.contains(endpointList) && snippet.contains(#""call-42""#))
        func run(_ stream: String) throws -> String {
            let script = snippet.replacingOccurrences(of: endpointList, with: #"["\#(live[0])", "\#(live[1])"]"#)
                .replacingOccurrences(of: #""call-42""#, with: #""\#(stream)""#)
            let result = try ExternalTool.run("python3", ["-c", script], directory: scratch.url, timeout: .seconds(30))
            #expect(result.status == 0, "python3 failed: \(result.stderr)")
            #expect(result.stdout.contains("'ok': True"), "it printed: \(result.stdout)")
            return String(result.stdout.prefix { $0 != " " })
        }
        for index in 0..<4 {
            let stream = "doc-\(index)"
            let choice = try #require(RendezvousHash(keys: live).firstChoice(for: try StreamID(stream)))
            #expect(try run(stream) == choice, "\(stream)")
            #expect(try Self.streams(at: choice).contains(stream))
        }

        let ranking = RendezvousHash(keys: live).ranking(for: try StreamID("call-42"))
        let doomed = ranking[0] == first.ingest ? first : second
        doomed.kill()
        #expect(try run("call-42") == ranking[1])
        #expect(try Self.streams(at: ranking[1]).contains("call-42"))
        first.stop()
    }
}
