import ArgumentParser
import Dispatch
import WavecastClient

#if canImport(Glibc)
import Glibc
#endif

/// `wavecast listen`: one WebSocket client of a gateway stream; saves the MP3 and says what it saw.
struct Listen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Listen to a gateway stream over WebSocket, save its MP3, and report what arrived.",
        discussion: """
            Stops at the stream's end, after --seconds, or on Ctrl-C, then prints chunks, bytes, \
            sequence gaps and duplicates, lateness against the media clock (p50/p99/max) and the \
            time to the first chunk. Lateness is each chunk's arrival minus (anchor + its timestamp), \
            the anchor being the earliest arrival-minus-timestamp seen on this connection.
            """
    )

    @Argument(help: "The stream's address: ws://HOST:PORT/ws/ID")
    var url: String

    @Option(help: "Append the received MP3 to this file ('-' for standard output).")
    var out: String?

    @OptionGroup(title: "Authentication (a gateway with --token-secret-file)")
    var token: TokenOption

    @Option(help: "Stop after this many seconds even if the stream goes on.")
    var seconds: Double?

    func validate() throws {
        do {
            _ = try WebSocketURL(parsing: self.url)
        } catch {
            throw ValidationError("\(error)")
        }
        if let seconds = self.seconds, seconds <= 0 {
            throw ValidationError("--seconds must be positive")
        }
    }

    func run() throws {
        let url = try WebSocketURL(parsing: try self.token.apply(to: self.url))
        var descriptor: Int32?
        if let out = self.out {
            let opened = out == "-" ? 1 : open(out, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard opened >= 0 else {
                printError("error: cannot create \(out): \(String(cString: strerror(errno)))")
                throw ExitCode.failure
            }
            descriptor = opened
        }
        defer { if let descriptor, descriptor > 2 { close(descriptor) } }

        let listener = StreamListener(url: url, outputDescriptor: descriptor, seconds: self.seconds)
        signal(SIGINT, SIG_IGN)
        let interrupt = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        interrupt.setEventHandler { listener.stop() }
        interrupt.resume()
        defer { interrupt.cancel() }

        printError("listening to \(url)\(self.out.map { " into \($0)" } ?? "")")
        let report: ListenReport
        do {
            report = try listener.run()
        } catch {
            printError("error: \(error)")
            throw ExitCode.failure
        }
        printError(report.text)
    }
}
