import ArgumentParser

/// `wavecast-bench`: the measurements `scripts/bench` runs; it prints figures and never asserts them.
@main
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wavecast-bench",
        abstract: "Measure Wavecast: encoding speed, real-time streams against a running encoder, and fan-out CPU.",
        discussion: """
            Each subcommand prints a readable report and one `key=value` result line per measurement, \
            which `run` turns into tables. Run scripts/bench (which builds the binaries, then runs `run`) rather than \
            the measuring subcommands directly.
            """,
        subcommands: [
            RunCommand.self, EncodeCommand.self, StreamsCommand.self, LiveCommand.self, FanoutCommand.self,
            WaitForQuietCommand.self, HandshakesCommand.self,
            LatencyCommand.self, ProxyCommand.self, LoadTestFieldsCommand.self, FreePortsCommand.self,
        ]
    )
}
