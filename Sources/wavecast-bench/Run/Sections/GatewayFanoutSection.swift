import WavecastBench

#if canImport(Glibc)
import Glibc
#endif

/// `section_gateway_fanout N`: N WebSocket clients of one stream (`demo`, N frames per chunk) on the gateway and
/// on the C baseline, alternating, each count WAVECAST_BENCH_ROUNDS times; the CPU per message and whether each
/// count holds the client target.
struct GatewayFanoutSection {
    /// The run it belongs to.
    let run: BenchRun
    /// MP3 frames per chunk (72 ms each).
    let chunkFrames: Int

    /// Measures and prints the tables.
    func measure() {
        let settings = self.run.settings
        let sizes = settings.sizes
        let target = settings.clientTarget
        let goal = Formatting.fixed(target.latenessGoalMilliseconds, 0)
        Report.step(
            "Gateway fan-out, \(self.chunkFrames) frame(s) per chunk (one message every \(72 * self.chunkFrames) ms): "
                + "N clients of one stream, \(sizes.clientSeconds) s each, gateway vs the C baseline"
        )
        var table = MarkdownTable(header: [
            "Clients", "Server", "Connected (failed)", "Lateness p50 / p99 / max ms", "Lost",
            "First audio p50 / p99 ms", "Server CPU %", "CPU µs / message (user + kernel)", "RSS MiB",
            "RSS Δ KiB / client", "Slow clients dropped (closes seen by clients)", "Load tool CPU %",
            "Rest of machine CPU %", "Holds (p99 ≤ \(goal) ms, none lost)",
        ])
        var ratios = MarkdownTable(header: [
            "Clients", "CPU µs / message, gateway / baseline", "Ratio", "Lateness p99 ms, gateway / baseline",
            "Holds, gateway / baseline",
        ])
        let rounds = settings.rounds
        var heldGateway: [(count: Int, held: Int)] = []
        var heldBaseline: [(count: Int, held: Int)] = []
        for count in sizes.clientCounts {
            var held: [BenchServer: Int] = [:]
            for round in 1...rounds {
                let label = rounds > 1 ? "\(count) (round \(round))" : "\(count)"
                var lines: [BenchServer: ResultLine] = [:]
                for server in settings.servers {
                    guard let line = self.measure(server, clients: count) else {
                        table.append([label, server.label, "did not start"])
                        continue
                    }
                    lines[server] = line
                    Report.note(
                        "\(label) clients, \(server.rawValue): lateness p99 \(line["late_p99_ms"]) ms, lost "
                            + "\(line["lost"]), \(line["us_per_msg"]) µs CPU per message, connected "
                            + "\(line["connected"]) (failed \(line["connect_failures"]): \(line["failure"])), other "
                            + "load \(line["other_cpu_pct"]) %"
                    )
                    let holds = target.holds(line)
                    if holds { held[server, default: 0] += 1 }
                    table.append([
                        label, server.label, "\(line["connected"]) (\(line["connect_failures"]))",
                        "\(line["late_p50_ms"]) / \(line["late_p99_ms"]) / \(line["late_max_ms"])", line["lost"],
                        "\(line["ttfa_p50_ms"]) / \(line["ttfa_p99_ms"])", line["cpu_pct"],
                        "**\(line["us_per_msg"])** (\(line["us_user_per_msg"]) + \(line["us_kernel_per_msg"]))",
                        line["rss_mib"], line["kib_per_client"], "\(line["dropped"]) (\(line["server_closes"]))",
                        line["tool_cpu_pct"], line["other_cpu_pct"], holds ? "yes" : "no",
                    ])
                }
                let gateway = lines[.gateway] ?? ResultLine("")
                let baseline = lines[.baseline] ?? ResultLine("")
                ratios.append([
                    label, "\(gateway["us_per_msg"]) / \(baseline["us_per_msg"])",
                    "**\(Formatting.ratio(gateway["us_per_msg"], baseline["us_per_msg"]))**",
                    "\(gateway["late_p99_ms"]) / \(baseline["late_p99_ms"])",
                    "\(target.holds(gateway) ? "yes" : "no") / \(target.holds(baseline) ? "yes" : "no")",
                ])
            }
            heldGateway.append((count, held[.gateway] ?? 0))
            heldBaseline.append((count, held[.baseline] ?? 0))
        }
        Report.table(table)
        Report.line(ratios.text)
        let bestGateway = ClientTarget.largestHolding(heldGateway, rounds: rounds)
        let bestBaseline = ClientTarget.largestHolding(heldBaseline, rounds: rounds)
        Report.note(
            "Largest N that holds (lateness p99 ≤ \(goal) ms, nothing lost, all connected"
                + (rounds > 1 ? "; in most of the \(rounds) rounds" : "") + "):"
        )
        Report.note(
            "gateway \(bestGateway), C baseline \(bestBaseline) (ratio \(Formatting.ratio(bestGateway, bestBaseline)))"
        )
        Report.note(
            "CPU: utime+stime from /proc over a window of the load tool's steady state (all clients connected),"
        )
        Report.note(
            "÷ the server's own messages-sent counter over the same window. RSS Δ: resident memory with the clients"
        )
        Report.note(
            "connected minus before the load tool started, ÷ N. CPU % is of one core (the machine has "
                + "\(sysconf(Int32(_SC_NPROCESSORS_ONLN))));"
        )
        Report.note(
            "'rest of machine' is every other process in the same window (the encoder, and any other work: noise)."
        )
        Report.note("Lateness, lost and first audio are the load tool's (wavecast loadtest --json).")
    }

    /// One measurement of `server` with `clients` clients, or `nil` when it did not start; stops what it started.
    private func measure(_ server: BenchServer, clients: Int) -> ResultLine? {
        switch server {
        case .gateway:
            let options = self.run.settings.gatewayOptions
            guard let (encoder, gateway) = self.run.startDemoGateway(chunkFrames: self.chunkFrames, options) else {
                return nil
            }
            defer {
                gateway.stop()
                encoder.stop()
            }
            return self.run.measureFanout(.gateway(gateway), path: "/ws/demo", clients: clients)
        case .baseline:
            guard let baseline = self.run.startBaseline(chunkFrames: self.chunkFrames) else { return nil }
            defer { baseline.stop() }
            return self.run.measureFanout(.baseline(baseline), path: "/ws/demo", clients: clients)
        }
    }
}
