import WavecastBench

/// A release encoder the run started on free 127.0.0.1 ports.
struct RunningEncoder {
    /// The process.
    let process: ChildProcess
    /// Its ingest (ROUTER) port.
    let ingestPort: Int
    /// Its bus (PUB) port.
    let busPort: Int
    /// Its HTTP port (/healthz, /metrics).
    let httpPort: Int

    /// `tcp://127.0.0.1:INGEST`.
    var ingest: String { "tcp://127.0.0.1:\(self.ingestPort)" }
    /// `tcp://127.0.0.1:BUS`.
    var bus: String { "tcp://127.0.0.1:\(self.busPort)" }
    /// `http://127.0.0.1:HTTP`.
    var http: String { "http://127.0.0.1:\(self.httpPort)" }

    /// Stops it: SIGTERM, up to 10 s for its graceful stop (it drains its streams), then SIGKILL.
    func stop() { self.process.stop(grace: 10) }
}

/// A gateway (or the C baseline) the run started on a free 127.0.0.1 port.
struct RunningServer {
    /// The process.
    let process: ChildProcess
    /// Its HTTP and WebSocket port.
    let port: Int

    /// Stops it: SIGTERM, up to 5 s, then SIGKILL.
    func stop() { self.process.stop(grace: 5) }
}

/// A bus proxy (`wavecast proxy`) the run started on free 127.0.0.1 ports.
struct RunningProxy {
    /// The process.
    let process: ChildProcess
    /// Its frontend port (encoders connect: `--bus-connect`).
    let frontendPort: Int
    /// Its backend port (subscribers connect).
    let backendPort: Int

    /// `tcp://127.0.0.1:FRONTEND`.
    var frontend: String { "tcp://127.0.0.1:\(self.frontendPort)" }
    /// `tcp://127.0.0.1:BACKEND`.
    var backend: String { "tcp://127.0.0.1:\(self.backendPort)" }

    /// Stops it: SIGTERM, up to 5 s, then SIGKILL.
    func stop() { self.process.stop(grace: 5) }
}

extension BenchRun {
    /// Starts a bus proxy and waits up to 10 s for it to say both sides are bound (it serves no HTTP); returns
    /// `nil`, having said why and stopped it, if it does not.
    func startProxy() -> RunningProxy? {
        do {
            let ports = try FreePorts.pick(2)
            let process = try ChildProcess(
                name: "the proxy",
                executable: self.binaries + "/wavecast",
                arguments: [
                    "proxy", "--frontend", "tcp://127.0.0.1:\(ports[0])", "--backend", "tcp://127.0.0.1:\(ports[1])",
                ],
                output: self.path("proxy-service.log")
            )
            let proxy = RunningProxy(process: process, frontendPort: ports[0], backendPort: ports[1])
            // Bounded: 100 tries, 100 ms apart.
            for _ in 0..<100 where process.isRunning {
                if self.tail("proxy-service.log", 10).contains("Proxy backend bound") { return proxy }
                SystemIO.sleep(seconds: 0.1)
            }
            Report.warn("the proxy did not bind; its log:\n" + self.tail("proxy-service.log", 20))
            proxy.stop()
        } catch {
            Report.warn("\(error)")
        }
        return nil
    }

    /// Starts a release encoder allowing `maxStreams` streams (with any further encoder `options`), and waits up to
    /// 10 s for its /healthz; returns `nil` (having said why on standard error, and stopped it) if it does not
    /// become healthy.
    func startEncoder(maxStreams: Int, _ options: [String] = []) -> RunningEncoder? {
        do {
            let ports = try FreePorts.pick(3)
            let process = try ChildProcess(
                name: "the encoder",
                executable: self.binaries + "/wavecast-encoder",
                arguments: [
                    "--ingest", "tcp://127.0.0.1:\(ports[0])", "--publish", "tcp://127.0.0.1:\(ports[1])",
                    "--http", "127.0.0.1:\(ports[2])", "--max-streams", "\(maxStreams)", "--log-level", "warning",
                ] + options,
                output: self.path("encoder.log")
            )
            let encoder = RunningEncoder(process: process, ingestPort: ports[0], busPort: ports[1], httpPort: ports[2])
            if self.waitForPage(port: ports[2], path: "/healthz", tries: 100, process: process) { return encoder }
            Report.warn("the encoder did not become healthy; its log:\n" + self.tail("encoder.log", 20))
            encoder.stop()
        } catch {
            Report.warn("\(error)")
        }
        return nil
    }

    /// Starts one gateway on `encoder`'s bus (no stream of its own) with `options`, and waits up to 10 s for its
    /// /readyz (it has seen the encoder's heartbeat); returns `nil`, having said why and stopped it, if not ready.
    func startGateway(
        on encoder: RunningEncoder,
        _ options: [String] = [],
        log: String = "gateway.log"
    )
        -> RunningServer?
    {
        do {
            let port = try FreePorts.pick(1)[0]
            let process = try ChildProcess(
                name: "the gateway",
                executable: self.gatewayExecutable,
                arguments: ["--bus", encoder.bus, "--listen", "127.0.0.1:\(port)", "--log-level", "warning"] + options,
                output: self.path(log)
            )
            let gateway = RunningServer(process: process, port: port)
            if self.waitForPage(port: port, path: "/readyz", tries: 100, process: process) { return gateway }
            Report.warn("the gateway did not become ready; its log:\n" + self.tail(log, 20))
            gateway.stop()
        } catch {
            Report.warn("\(error)")
        }
        return nil
    }

    /// A fresh encoder (`chunkFrames` per chunk, with `encoderOptions`) and one gateway with `options` subscribed to
    /// it, with stream `demo` looping the voice file (`wavecast feed --loop` with `feedOptions`), seen in the
    /// gateway's catalogue within 5 s (`catalogue`: its path, `/streams?token=JWT` for a gateway with tokens, which
    /// lists only the streams a token grants). Returns `nil` (everything it started stopped) if any step fails.
    func startDemoGateway(
        chunkFrames: Int,
        _ options: [String],
        encoderOptions: [String] = [],
        feedOptions: [String] = [],
        catalogue: String = "/streams"
    ) -> (RunningEncoder, RunningServer)? {
        guard let encoder = self.startEncoder(maxStreams: 100, ["--chunk-frames", "\(chunkFrames)"] + encoderOptions)
        else { return nil }
        guard let gateway = self.startGateway(on: encoder, options) else {
            encoder.stop()
            return nil
        }
        let feed = try? ChildProcess.run(
            self.binaries + "/wavecast",
            ["feed", self.path("voice-8k-mono.wav"), "--stream", "demo", "--loop", "--encoder", encoder.ingest]
                + feedOptions,
            output: self.path("feed.log"),
            limit: 60
        )
        if feed?.status != 0 {
            Report.warn(feed?.output ?? "wavecast feed did not start")
        } else if self.waitForPage(
            port: gateway.port,
            path: catalogue,
            tries: 50,
            process: gateway.process,
            accept: {
                $0.contains("\"demo\"")
            }
        ) {
            return (encoder, gateway)
        } else {
            Report.warn("the gateway never saw stream demo")
        }
        gateway.stop()
        encoder.stop()
        return nil
    }

    /// The C yardstick on a free port, `chunkFrames` frames per chunk, serving `streams` streams; waits up to 5 s
    /// for its /metrics. Returns `nil`, having printed its log, if it does not start.
    func startBaseline(chunkFrames: Int, streams: Int = 1) -> RunningServer? {
        guard let baseline = self.baseline else { return nil }
        do {
            let port = try FreePorts.pick(1)[0]
            let process = try ChildProcess(
                name: "the C baseline",
                executable: baseline,
                arguments: ["\(port)", "--chunk-frames", "\(chunkFrames)", "--streams", "\(streams)"],
                output: self.path("baseline.log")
            )
            let server = RunningServer(process: process, port: port)
            if self.waitForPage(port: port, path: "/metrics", tries: 50, process: process) { return server }
            Report.warn("the baseline did not start; its log:\n" + self.tail("baseline.log", 50))
            server.stop()
        } catch {
            Report.warn("\(error)")
        }
        return nil
    }
}
