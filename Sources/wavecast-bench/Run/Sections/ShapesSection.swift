import WavecastBench

/// `section_shapes`: S streams × L listeners each on one gateway against the C baseline serving S streams; then
/// idle streams (on the bus, no listener) and what they cost the gateway.
struct ShapesSection {
    /// The run it belongs to.
    let run: BenchRun

    /// Measures and prints both tables.
    func measure() {
        self.measureShapes()
        self.measureIdleStreams()
    }

    /// The shapes table: each shape on each server, and the gateway ÷ baseline CPU per message.
    private func measureShapes() {
        let settings = self.run.settings
        Report.step(
            "Stream shapes: S streams × L listeners each (N = S × L clients), \(settings.sizes.clientSeconds) s each, "
                + "one gateway vs the C baseline serving S streams"
        )
        var table = MarkdownTable(header: [
            "Streams × listeners", "Server", "Connected (failed)", "Lateness p50 / p99 / max ms", "Lost",
            "First audio p50 / p99 ms", "Server CPU %", "CPU µs / message (user + kernel)", "Load tool CPU %",
        ])
        for shape in settings.sizes.shapes {
            let label = "\(shape.streams) × \(shape.listeners)"
            var lines: [BenchServer: ResultLine] = [:]
            for server in settings.servers {
                let line: ResultLine
                switch self.measure(server, shape: shape) {
                case .success(let measured): line = measured
                case .failure(let failure):
                    table.append([label, failure.server, failure.reason])
                    continue
                }
                lines[server] = line
                table.append([
                    label, server.rawValue, "\(line["connected"]) (\(line["connect_failures"]))",
                    "\(line["late_p50_ms"]) / **\(line["late_p99_ms"])** / \(line["late_max_ms"])", line["lost"],
                    "\(line["ttfa_p50_ms"]) / \(line["ttfa_p99_ms"])", line["cpu_pct"],
                    "**\(line["us_per_msg"])** (\(line["us_user_per_msg"]) + \(line["us_kernel_per_msg"]))",
                    line["tool_cpu_pct"],
                ])
            }
            if let gateway = lines[.gateway], let baseline = lines[.baseline] {
                let ratio = Formatting.ratio(gateway["us_per_msg"], baseline["us_per_msg"])
                table.append([
                    label, "**gateway ÷ baseline**", "", "", "", "", "", "**\(ratio == "-" ? "-" : ratio + "×")**", "",
                ])
            }
        }
        Report.table(table)
        Report.note(
            "Streams s0 … s{S-1} (zero-padded: no id is a prefix of another, which ZeroMQ's prefix subscriptions would"
        )
        Report.note(
            "deliver too) each loop the same 2 s voice file (72 ms chunks), all started together; client i listens to"
        )
        Report.note("stream i mod S. The C baseline sends, per tick, one prebuilt frame per stream with a client.")
        Report.note(
            "First audio: from the start of the TCP connect to the first chunk; with L = 1 every client is the first"
        )
        Report.note(
            "listener of a stream the gateway was not subscribed to (its burst comes from the encoder's replay)."
        )
    }

    /// Why a shape's measurement did not run: the row's server cell and its reason.
    private struct NotMeasured: Error {
        var server: String
        var reason: String
    }

    /// One shape on `server`, with the machine busy on purpose (no quiet wait: the streams are already playing).
    private func measure(_ server: BenchServer, shape: StreamShape) -> Result<ResultLine, NotMeasured> {
        switch server {
        case .gateway:
            guard let encoder = self.run.startEncoder(maxStreams: shape.streams + 100, ["--chunk-frames", "1"]) else {
                return .failure(NotMeasured(server: "gateway", reason: "did not start"))
            }
            defer { encoder.stop() }
            guard let gateway = self.run.startGateway(on: encoder, self.run.settings.gatewayOptions) else {
                return .failure(NotMeasured(server: "gateway", reason: "did not start"))
            }
            defer { gateway.stop() }
            let accepted = LoopingPlays.start(endpoint: encoder.ingest, wav: self.run.loopWAV, count: shape.streams)
            guard accepted == shape.streams else {
                return .failure(
                    NotMeasured(server: "gateway", reason: "the encoder took \(accepted) of \(shape.streams) plays")
                )
            }
            SystemIO.sleep(seconds: 2)
            return .success(
                self.run.measureFanout(
                    .gateway(gateway),
                    path: "/ws/s{n}",
                    clients: shape.clients,
                    streams: shape.streams,
                    waitForQuiet: false
                )
            )
        case .baseline:
            guard let baseline = self.run.startBaseline(chunkFrames: 1, streams: shape.streams) else {
                return .failure(NotMeasured(server: "C baseline", reason: "did not start"))
            }
            defer { baseline.stop() }
            return .success(
                self.run.measureFanout(
                    .baseline(baseline),
                    path: "/ws/s{n}",
                    clients: shape.clients,
                    streams: shape.streams,
                    waitForQuiet: false
                )
            )
        }
    }

    /// The idle-streams table: S looping streams with no listener, the gateway's and encoder's CPU over 10 s.
    private func measureIdleStreams() {
        Report.step("Idle streams: S looping streams on the bus, no listener; the gateway's CPU over 10 s")
        var table = MarkdownTable(header: [
            "Streams on the bus", "Gateway CPU % of a core", "Bus messages taken / s", "Encoder CPU %",
        ])
        for streams in self.run.settings.sizes.idleStreams {
            guard let encoder = self.run.startEncoder(maxStreams: streams + 100, ["--chunk-frames", "1"]) else {
                table.append(["\(streams)", "did not start"])
                continue
            }
            guard let gateway = self.run.startGateway(on: encoder, self.run.settings.gatewayOptions) else {
                encoder.stop()
                table.append(["\(streams)", "did not start"])
                continue
            }
            let accepted = LoopingPlays.start(endpoint: encoder.ingest, wav: self.run.loopWAV, count: streams)
            SystemIO.sleep(seconds: 2)
            let before = self.run.metric(port: gateway.port, "wavecast_gateway_bus_messages_total")
            let cpu = self.run.cpuOver(seconds: 10, pids: [gateway.process.pid, encoder.process.pid])
            let after = self.run.metric(port: gateway.port, "wavecast_gateway_bus_messages_total")
            table.append([
                "\(streams) (\(accepted) playing)", "**\(cpu[0])**",
                Formatting.rate(from: before, to: after, seconds: 10), cpu[1],
            ])
            gateway.stop()
            encoder.stop()
        }
        Report.table(table)
        Report.note("With no listener the gateway subscribes to the control topic only: heartbeats and the catalogue.")
    }
}
