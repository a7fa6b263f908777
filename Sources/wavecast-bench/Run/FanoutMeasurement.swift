import WavecastBench

/// Which server a fan-out measurement watches, and the names of its Prometheus figures.
struct FanoutTarget {
    /// The server's process, for its CPU and memory in /proc.
    let server: RunningServer
    /// Its counter of messages sent.
    let messagesMetric: String
    /// Its gauge of connected clients.
    let clientsMetric: String
    /// Its counter of slow clients dropped.
    let droppedMetric: String

    /// The gateway's figures.
    static func gateway(_ server: RunningServer) -> FanoutTarget {
        FanoutTarget(
            server: server,
            messagesMetric: "wavecast_gateway_messages_sent_total",
            clientsMetric: "wavecast_gateway_connections",
            droppedMetric: "wavecast_gateway_slow_client_closes_total"
        )
    }

    /// The C baseline's figures.
    static func baseline(_ server: RunningServer) -> FanoutTarget {
        FanoutTarget(
            server: server,
            messagesMetric: "baseline_messages_sent_total",
            clientsMetric: "baseline_clients",
            droppedMetric: "baseline_slow_clients_dropped_total"
        )
    }
}

extension BenchRun {
    /// Runs `wavecast-bench fanout` (the load tool with `clients` clients of `path` on the target, `streams` streams
    /// when the path holds `{n}`) and returns its `fanout key=value …` line, or `fanout loadtest_error=failed`
    /// after printing the end of what it said.
    ///
    /// - Parameters:
    ///   - waitForQuiet: false for the shapes section, which measures with its streams already playing (the
    ///     machine is busy on purpose).
    ///   - tokenFile: a file holding the listener token every client presents (`?token=`), or `nil` for none.
    func measureFanout(
        _ target: FanoutTarget,
        path: String,
        clients: Int,
        streams: Int = 1,
        waitForQuiet: Bool = true,
        tokenFile: String? = nil
    ) -> ResultLine {
        let sizes = self.settings.sizes
        let quiet = waitForQuiet ? self.settings.quietWaitSeconds : 0
        let ramp = self.settings.clientRampPerSecond
        let limit = Double(sizes.clientSeconds + clients / ramp + 90) + quiet
        var arguments = [
            "fanout", "--server-pid", "\(target.server.process.pid)", "--metrics",
            "http://127.0.0.1:\(target.server.port)/metrics", "--messages-metric", target.messagesMetric,
            "--clients-metric", target.clientsMetric, "--dropped-metric", target.droppedMetric,
            "--url", "ws://127.0.0.1:\(target.server.port)\(path)", "--clients", "\(clients)",
            "--streams", "\(streams)", "--seconds", "\(sizes.clientSeconds)", "--ramp-per-second", "\(ramp)",
            "--wavecast", self.binaries + "/wavecast", "--quiet-wait", "\(quiet)",
        ]
        if let tokenFile { arguments += ["--token-file", tokenFile] }
        var line: ResultLine?
        do {
            let child = try ChildProcess(
                name: "wavecast-bench fanout",
                executable: self.bench,
                arguments: arguments,
                output: self.path("fanout.out"),
                errorOutput: self.path("fanout.err")
            )
            child.wait(limit: limit)
            line = ResultLine.last(ofKind: "fanout", in: child.output)
        } catch {
            Report.warn("\(error)")
        }
        if line == nil || line?["loadtest_error"] != "-" {
            Report.warn("   wavecast-bench fanout said:\n" + self.tail("fanout.err", 5))
        }
        return line ?? ResultLine("fanout loadtest_error=failed")
    }
}
