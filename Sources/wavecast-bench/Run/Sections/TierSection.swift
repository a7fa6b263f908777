import WavecastBench

#if canImport(Glibc)
import Glibc
#endif

/// `section_tier`: G gateways behind HAProxy (compose.yaml's balance settings: consistent hashing of the path with
/// bounded loads), S looping streams with one listener each through HAProxy; per gateway its clients, subscribed
/// streams, bus messages per second and CPU.
struct TierSection {
    /// The run it belongs to.
    let run: BenchRun

    /// Measures and prints the table; skipped (saying so) without haproxy.
    func measure() {
        let sizes = self.run.settings.sizes
        let streams = sizes.tierShape.streams
        let count = sizes.tierGateways
        Report.step("Stream-affine balancing: \(count) gateways behind HAProxy, \(streams) streams × 1 listener")
        guard Tools.locate("haproxy") != nil else {
            Report.note("haproxy is not installed: skipped")
            return
        }
        guard let encoder = self.run.startEncoder(maxStreams: streams + 100, ["--chunk-frames", "1"]) else { return }
        defer { encoder.stop() }
        var gateways: [RunningServer] = []
        defer { for gateway in gateways { gateway.stop() } }
        for index in 0..<count {
            guard let gateway = self.run.startGateway(on: encoder, log: "gateway\(index).log") else { return }
            gateways.append(gateway)
        }
        guard let balancerPort = try? FreePorts.pick(1)[0] else { return }
        let haproxy: ChildProcess
        do {
            try self.writeConfiguration(balancerPort: balancerPort, gateways: gateways)
            haproxy = try ChildProcess(
                name: "haproxy",
                executable: "haproxy",
                arguments: ["-f", self.run.path("haproxy.cfg")],
                output: self.run.path("haproxy.log")
            )
        } catch {
            Report.note("haproxy did not start: \(error)")
            return
        }
        defer { haproxy.stop(grace: 5) }
        SystemIO.sleep(seconds: 0.5)
        guard haproxy.isRunning else {
            Report.note("haproxy did not start: \(self.run.tail("haproxy.log", 1))")
            return
        }
        let accepted = LoopingPlays.start(endpoint: encoder.ingest, wav: self.run.loopWAV, count: streams)
        SystemIO.sleep(seconds: 2)
        let ramp = (streams + self.run.settings.clientRampPerSecond - 1) / self.run.settings.clientRampPerSecond
        let loadTool: ChildProcess
        do {
            loadTool = try ChildProcess(
                name: "wavecast loadtest",
                executable: self.run.binaries + "/wavecast",
                arguments: [
                    "loadtest", "ws://127.0.0.1:\(balancerPort)/ws/s{n}", "--clients", "\(streams)", "--streams",
                    "\(streams)", "--seconds", "\(sizes.clientSeconds)", "--ramp", "\(ramp)", "--json",
                ],
                output: self.run.path("loadtest.json"),
                errorOutput: self.run.path("loadtest.err")
            )
        } catch {
            Report.note("\(error)")
            return
        }
        SystemIO.sleep(seconds: Double(ramp + 1))
        let busMetric = "wavecast_gateway_bus_messages_total"
        let before = gateways.map { self.run.metric(port: $0.port, busMetric) }
        let clients = gateways.map { self.run.metricCell(port: $0.port, "wavecast_gateway_connections") }
        let cpu = self.run.cpuOver(seconds: 3, pids: gateways.map(\.process.pid))
        let after = gateways.map { self.run.metric(port: $0.port, busMetric) }
        var table = MarkdownTable(header: [
            "Gateway", "Clients", "Subscribed streams", "Bus messages taken / s", "CPU %",
        ])
        for (index, gateway) in gateways.enumerated() {
            table.append([
                "g\(index)", clients[index],
                self.run.metricCell(port: gateway.port, "wavecast_gateway_subscribed_streams"),
                Formatting.rate(from: before[index], to: after[index], seconds: 3), cpu[index],
            ])
        }
        loadTool.wait(limit: Double(sizes.clientSeconds + ramp + 60))
        let line = ResultLine(
            "loadtest "
                + ((try? LoadTestSummary(output: loadTool.output))?.fields.map { "\($0.key)=\($0.value)" }
                    .joined(separator: " ") ?? "loadtest_error=unreadable")
        )
        Report.table(table)
        Report.note(
            "\(accepted) streams playing (one 72 ms chunk each: \(streams * 1000 / 72) bus messages / s in all)."
        )
        Report.note(
            "Load tool: connected \(line["connected"]) (failed \(line["connect_failures"])), lateness p50 / p99 "
                + "\(line["late_p50_ms"]) / \(line["late_p99_ms"]) ms, lost \(line["lost"]), first audio p99 "
                + "\(line["ttfa_p99_ms"]) ms."
        )
    }

    /// HAProxy's configuration: the gateways as one backend balanced by path, `maxconn` within the open-file limit.
    private func writeConfiguration(balancerPort: Int, gateways: [RunningServer]) throws {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        // Two descriptors per connection: keep maxconn within the open-file limit.
        var text = "global\n    maxconn \(Int(limit.rlim_cur) / 2 - 100)\ndefaults\n    mode http\n"
        text += "    timeout connect 2s\n    timeout client 60s\n    timeout server 60s\n    timeout tunnel 1h\n"
        text += "frontend clients\n    bind 127.0.0.1:\(balancerPort)\n    default_backend gateways\n"
        text += "backend gateways\n    balance uri path-only\n    hash-type consistent\n    hash-balance-factor 110\n"
        for (index, gateway) in gateways.enumerated() { text += "    server g\(index) 127.0.0.1:\(gateway.port)\n" }
        try SystemIO.writeFile(self.run.path("haproxy.cfg"), Array(text.utf8))
    }
}
