import WavecastBench

/// `section_security`: what issue 14's authentication costs, each figure beside its baseline in the same run
/// (CURVE off vs on, tokens off vs on); it never asserts.
///
/// 1. Fan-out: N listeners of one stream (`demo`, 1 frame per chunk), the bus CURVE off, CURVE on, and tokens on
///    (every client presents `?token=`): the gateway's CPU per message, lateness and loss, as the fan-out section
///    measures them (``BenchRun/measureFanout(_:path:clients:streams:waitForQuiet:tokenFile:)``).
/// 2. Bus throughput: S looping streams with CURVE off vs on, read by one bus subscriber (`wavecast-bench streams`)
///    and by a gateway with one listener per stream.
/// 3. Handshakes: sequential WebSocket upgrades (`wavecast-bench handshakes`) on a gateway without tokens and on
///    one with tokens, the token in each place the gateway accepts.
///
/// Keys and the token secret are made at its start in the work directory (``SecurityKeys``).
struct SecuritySection {
    /// The run it belongs to.
    let run: BenchRun

    /// One configuration of the services: whether the bus (and so the ingest) uses CURVE, whether the gateway
    /// requires tokens.
    private struct Setting {
        var curve: Bool
        var tokens: Bool

        /// How the tables name it.
        var label: String { "CURVE \(self.curve ? "**on**" : "off"), tokens \(self.tokens ? "**on**" : "off")" }
    }

    /// Makes the keys, then measures and prints the three tables.
    func measure() {
        Report.step("Security (issue 14): what CURVE on the bus and listener tokens cost, each beside its baseline")
        let keys: SecurityKeys
        do {
            keys = try SecurityKeys(run: self.run)
        } catch {
            Report.warn("the security section cannot make its keys: \(error)")
            Report.note("not measured: the keys could not be made (see standard error)")
            return
        }
        Report.note("keys: wavecast keygen encoder, gateway, bench; a 32-byte random token secret; all in files")
        self.measureFanout(keys)
        self.measureBus(keys)
        self.measureHandshakes(keys)
    }

    /// The encoder's, the gateway's and a client's options for `setting`.
    private func options(
        _ setting: Setting,
        _ keys: SecurityKeys
    ) -> (encoder: [String], gateway: [String], client: [String]) {
        let gateway =
            self.run.settings.gatewayOptions + (setting.curve ? keys.gatewayOptions : [])
            + (setting.tokens ? keys.tokenOptions : [])
        return (setting.curve ? keys.encoderOptions : [], gateway, setting.curve ? keys.clientOptions : [])
    }

    /// Table 1: N listeners of one stream, CURVE off / on / tokens on.
    private func measureFanout(_ keys: SecurityKeys) {
        let sizes = self.run.settings.sizes
        let clients = sizes.securityListeners
        Report.step(
            "Security 1: \(clients) listeners of one stream (72 ms chunks), \(sizes.clientSeconds) s each; "
                + "the bus CURVE off vs on, then tokens on"
        )
        var table = MarkdownTable(header: [
            "Setting", "Connected (failed)", "Lateness p50 / p99 / max ms", "Lost", "First audio p50 / p99 ms",
            "Gateway CPU %", "CPU µs / message (user + kernel)", "vs CURVE off, tokens off",
        ])
        var baseline: String?
        for setting in [
            Setting(curve: false, tokens: false), Setting(curve: true, tokens: false),
            Setting(curve: false, tokens: true),
        ] {
            let options = self.options(setting, keys)
            guard
                let (encoder, gateway) = self.run.startDemoGateway(
                    chunkFrames: 1,
                    options.gateway,
                    encoderOptions: options.encoder,
                    feedOptions: options.client,
                    catalogue: keys.catalogue(tokens: setting.tokens)
                )
            else {
                table.append([setting.label, "did not start"])
                continue
            }
            let line = self.run.measureFanout(
                .gateway(gateway),
                path: "/ws/demo",
                clients: clients,
                tokenFile: setting.tokens ? keys.token : nil
            )
            gateway.stop()
            encoder.stop()
            let perMessage = line["us_per_msg"]
            if !setting.curve && !setting.tokens { baseline = perMessage }
            Report.note(
                "\(setting.label): \(perMessage) µs CPU per message, lateness p99 \(line["late_p99_ms"]) ms, lost "
                    + "\(line["lost"]), connected \(line["connected"]) (failed \(line["connect_failures"]): "
                    + "\(line["failure"]))"
            )
            table.append([
                setting.label, "\(line["connected"]) (\(line["connect_failures"]))",
                "\(line["late_p50_ms"]) / \(line["late_p99_ms"]) / \(line["late_max_ms"])", line["lost"],
                "\(line["ttfa_p50_ms"]) / \(line["ttfa_p99_ms"])", line["cpu_pct"],
                "**\(perMessage)** (\(line["us_user_per_msg"]) + \(line["us_kernel_per_msg"]))",
                Self.times(perMessage, over: baseline),
            ])
        }
        Report.table(table)
        Report.note("One encoder, one gateway, stream demo looping the voice file; the load tool (wavecast loadtest)")
        Report.note("holds every client. CURVE on: the encoder has --curve-key-file, --feeder-keys and --gateway-keys")
        Report.note(
            "(its ingest and its bus PUB are CURVE servers), the gateway --curve-key-file and --server-key-file."
        )
        Report.note("Tokens on: the gateway has --token-secret-file; every client presents one token (wavecast")
        Report.note("token --stream demo) as ?token=, checked once per connection at the upgrade. CPU: the gateway's")
        Report.note("utime+stime over the load tool's steady state ÷ its messages-sent counter, as in the fan-out")
        Report.note("section. One stream carries 14 bus messages a second, so CURVE's cost hardly shows here.")
    }

    /// Table 2: S looping streams, CURVE off vs on, on one bus subscriber and on a gateway with a listener each.
    private func measureBus(_ keys: SecurityKeys) {
        let sizes = self.run.settings.sizes
        let streams = sizes.securityStreams
        let gatewayStreams = sizes.securityGatewayStreams
        Report.step(
            "Security 2: looping streams on the bus (72 ms chunks), CURVE off vs on; \(streams) read by one bus "
                + "subscriber, then \(gatewayStreams) by a gateway with one listener per stream"
        )
        var subscriberTable = MarkdownTable(header: [
            "Bus (\(streams) streams)", "Playing", "Chunks received / expected", "Received / s", "Missing (seq gaps)",
            "Arrival lateness p50 / p99 / max ms", "Publication lateness p99 (bucket) ms", "Encoder CPU %",
            "Subscriber CPU %",
        ])
        var gatewayTable = MarkdownTable(header: [
            "Bus (\(gatewayStreams) streams × 1)", "Connected (failed)", "Lateness p50 / p99 / max ms", "Lost",
            "Gateway CPU %",
            "Gateway CPU µs / message sent", "Bus messages taken by the gateway / s", "Encoder CPU % (whole run)",
        ])
        for curve in [false, true] {
            let setting = Setting(curve: curve, tokens: false)
            let label = "CURVE \(curve ? "**on**" : "off")"
            subscriberTable.append([label] + self.subscriberRow(setting, keys, streams: streams))
            gatewayTable.append([label] + self.gatewayRow(setting, keys, streams: gatewayStreams))
        }
        Report.table(subscriberTable)
        Report.note("One bus subscriber (wavecast-bench streams: one ZeroMQ SUB subscribed to the whole bus, a CURVE")
        Report.note("client when CURVE is on, on one thread) on a fresh encoder; it starts the plays, then measures")
        Report.note("a \(sizes.streamSeconds) s window. Received / s: chunks it took in the window ÷ the window.")
        Report.note("Publication lateness: the encoder's own histogram. CPU: utime+stime over the window, % of one")
        Report.note("core; the subscriber's CPU includes CURVE's decryption of every chunk when on.")
        Report.table(gatewayTable)
        Report.note("A fresh encoder and gateway; the streams started over one DEALER (a CURVE client when on), then")
        Report.note("wavecast loadtest with one client per stream for \(sizes.clientSeconds) s, so the gateway")
        Report.note("subscribes to every stream and decrypts all of them when CURVE is on. Gateway CPU per message:")
        Report.note(
            "over the load tool's steady state ÷ WebSocket messages sent (one per bus chunk here). Encoder CPU:"
        )
        Report.note("over the whole load run (ramp included), sampled from /proc before and after.")
    }

    /// One row of the subscriber table: `wavecast-bench streams` on a fresh encoder with `setting`.
    private func subscriberRow(_ setting: Setting, _ keys: SecurityKeys, streams: Int) -> [String] {
        let sizes = self.run.settings.sizes
        let options = self.options(setting, keys)
        self.run.waitForQuiet()
        guard let encoder = self.run.startEncoder(maxStreams: streams + 100, ["--chunk-frames", "1"] + options.encoder)
        else { return ["encoder did not start"] }
        let output = self.run.runBench(
            [
                "streams", "--encoder", encoder.ingest, "--bus", encoder.bus, "--http", encoder.http,
                "--encoder-pid", "\(encoder.process.pid)", "--wav", self.run.path("loop-8k-mono.wav"),
                "--streams", "\(streams)", "--seconds", "\(sizes.streamSeconds)",
            ] + options.client,
            log: "streams.log",
            limit: Double(sizes.streamSeconds + 2 * 120 + 30)
        )
        encoder.stop()
        guard let line = ResultLine.last(ofKind: "streams", in: output) else {
            Report.warn("   wavecast-bench streams said:\n" + String(output.suffix(1500)))
            return ["run failed (see standard error)"]
        }
        return [
            line["plays_ok"], "\(line["received"]) / \(line["expected"])",
            Formatting.ratio(line["received"], line["seconds"], digits: 0), line["missing"],
            "\(line["late_p50_ms"]) / \(line["late_p99_ms"]) / \(line["late_max_ms"])",
            "≤ **\(line["pub_p99_le_ms"])**", "**\(line["cpu_pct"])**", line["bench_cpu_pct"],
        ]
    }

    /// One row of the gateway table: S streams × 1 listener on a fresh encoder and gateway with `setting`.
    private func gatewayRow(_ setting: Setting, _ keys: SecurityKeys, streams: Int) -> [String] {
        let options = self.options(setting, keys)
        // Before the streams start: with them playing, the machine is busy on purpose.
        self.run.waitForQuiet()
        guard let encoder = self.run.startEncoder(maxStreams: streams + 100, ["--chunk-frames", "1"] + options.encoder)
        else { return ["encoder did not start"] }
        defer { encoder.stop() }
        guard let gateway = self.run.startGateway(on: encoder, options.gateway) else {
            return ["gateway did not start"]
        }
        defer { gateway.stop() }
        let client =
            setting.curve
            ? try? BenchCurve.keys(secretFile: keys.benchSecret, serverFile: keys.encoderPublic) : nil
        if setting.curve && client == nil { return ["cannot read the bench's CURVE keys"] }
        let accepted = LoopingPlays.start(
            endpoint: encoder.ingest,
            wav: self.run.loopWAV,
            count: streams,
            curve: client
        )
        guard accepted == streams else { return ["the encoder took \(accepted) of \(streams) plays"] }
        SystemIO.sleep(seconds: 2)
        let encoderBefore = try? ProcessSample(pid: encoder.process.pid)
        let busBefore = self.run.metric(port: gateway.port, "wavecast_gateway_bus_messages_total")
        let start = SystemIO.monotonicNanoseconds()
        let line = self.run.measureFanout(
            .gateway(gateway),
            path: "/ws/s{n}",
            clients: streams,
            streams: streams,
            waitForQuiet: false
        )
        let seconds = Double(SystemIO.monotonicNanoseconds() - start) / 1e9
        let busAfter = self.run.metric(port: gateway.port, "wavecast_gateway_bus_messages_total")
        let encoderAfter = try? ProcessSample(pid: encoder.process.pid)
        var encoderCPU = "-"
        if let encoderBefore, let encoderAfter, seconds > 0 {
            encoderCPU = Formatting.fixed(100 * (encoderAfter.cpuSeconds - encoderBefore.cpuSeconds) / seconds, 1)
        }
        return [
            "\(line["connected"]) (\(line["connect_failures"]))",
            "\(line["late_p50_ms"]) / \(line["late_p99_ms"]) / \(line["late_max_ms"])", line["lost"], line["cpu_pct"],
            "**\(line["us_per_msg"])** (\(line["us_user_per_msg"]) + \(line["us_kernel_per_msg"]))",
            Formatting.rate(from: busBefore, to: busAfter, seconds: seconds), encoderCPU,
        ]
    }

    /// Table 3: sequential WebSocket handshakes, tokens off vs on (each placement).
    private func measureHandshakes(_ keys: SecurityKeys) {
        let count = self.run.settings.sizes.handshakes
        Report.step("Security 3: \(count) sequential WebSocket handshakes each, tokens off vs on")
        var table = MarkdownTable(header: [
            "Gateway", "Token sent as", "Upgraded (failed)", "Upgrade p50 / p99 / max ms",
            "Gateway CPU µs / handshake", "Gateway idle CPU %", "Handshakes / s",
        ])
        for tokens in [false, true] {
            let setting = Setting(curve: false, tokens: tokens)
            let options = self.options(setting, keys)
            guard
                let (encoder, gateway) = self.run.startDemoGateway(
                    chunkFrames: 1,
                    options.gateway,
                    catalogue: keys.catalogue(tokens: tokens)
                )
            else {
                table.append([setting.label, "did not start"])
                continue
            }
            let placements: [TokenPlacement] = tokens ? [.query, .header, .subprotocol] : [.none]
            for placement in placements {
                self.run.waitForQuiet()
                var arguments = [
                    "handshakes", "--port", "\(gateway.port)", "--path", "/ws/demo", "--count", "\(count)",
                    "--placement", placement.rawValue, "--server-pid", "\(gateway.process.pid)",
                ]
                if tokens { arguments += ["--token-file", keys.token] }
                let output = self.run.runBench(arguments, log: "handshakes.log", limit: Double(count) * 0.5 + 30)
                guard let line = ResultLine.last(ofKind: "handshakes", in: output) else {
                    Report.warn("   wavecast-bench handshakes said:\n" + String(output.suffix(1000)))
                    table.append(["tokens \(tokens ? "on" : "off")", placement.label, "run failed"])
                    continue
                }
                table.append([
                    "tokens \(tokens ? "**on**" : "off")", placement.label,
                    "\(line["ok"]) (\(line["failed"])\(line["failed"] == "0" ? "" : ": " + line["failure"]))",
                    "\(line["p50_ms"]) / **\(line["p99_ms"])** / \(line["max_ms"])", "**\(line["us_per_handshake"])**",
                    line["idle_cpu_pct"], line["per_s"],
                ])
            }
            gateway.stop()
            encoder.stop()
        }
        Report.table(table)
        Report.note("wavecast-bench handshakes: one connection at a time on 127.0.0.1 (connect, the upgrade request,")
        Report.note("read the answer's head, close with a reset); its time runs from before connect to the 101's blank")
        Report.note("line. /proc counts CPU in 10 ms ticks, so the CPU per handshake is ± 10 ms ÷ N. The")
        Report.note("gateway's utime+stime over the series ÷ N includes accepting and closing the connection,")
        Report.note("registering the listener (stream demo is playing: it may get a burst before the close is seen),")
        Report.note("and the idle background shown beside it (heartbeats; a 1 s sample before the series).")
    }

    /// `value ÷ baseline` as `1.03×`, or `-` when either is missing; `baseline` itself for the baseline's own row.
    private static func times(_ value: String, over baseline: String?) -> String {
        guard let baseline else { return "-" }
        let ratio = Formatting.ratio(value, baseline)
        return ratio == "-" ? "-" : ratio + "×"
    }
}
