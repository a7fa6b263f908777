import ArgumentParser

/// `wavecast`: the command-line companion of the encoder and gateway.
@main
struct WavecastCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wavecast",
        abstract: "Feed audio to a Wavecast encoder, listen to what it publishes, and relay its bus (proxy).",
        subcommands: [Feed.self, Tap.self, Listen.self, Loadtest.self, Keygen.self, Token.self, Proxy.self]
    )
}
