import ArgumentParser
import WavecastCore
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

/// `wavecast feed`: sends a WAV file, or live PCM from standard input, to an encoder.
struct Feed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send a WAV file (or live PCM from stdin) to an encoder and print its reply.",
        discussion: """
            A file that fits in one message is sent as one 'play' request; a larger one is decoded \
            here and streamed as open/pcm/close. With --pcm-stdin, raw s16le PCM is read from standard \
            input, e.g. `sox voice.wav -t raw -e signed -b 16 -r 16000 -c 1 - | wavecast feed --pcm-stdin --rate 16000 --channels 1 --stream demo`.
            """
    )

    @Argument(help: "The WAV file to send (omit with --pcm-stdin).")
    var file: String?

    @Option(help: "The stream id: 1-64 characters of A-Z a-z 0-9 . _ -")
    var stream: String

    @Option(
        name: .customLong("encoder"),
        help: ArgumentHelp(
            "An encoder's ingest endpoint; repeat it for several.",
            discussion: """
                With several encoders (or a name that resolves to several addresses, each an encoder), the stream \
                goes to its rendezvous-hash first choice, and to the next choice when one does not answer within \
                --failover-timeout: every feeder picks the same encoder for a stream (docs/DEPLOYMENT.md).
                """
        )
    )
    var encoders: [String] = ["tcp://127.0.0.1:5555"]

    @Option(help: "Seconds an encoder has to answer before the stream goes to its next choice (several encoders).")
    var failoverTimeout = 2.0

    @Flag(help: "Repeat the file until the stream is stopped.")
    var loop = false

    @Flag(help: "Show a progress bar of the stream's playback until it ends.")
    var follow = false

    @Flag(help: "Read raw s16le PCM from standard input instead of a file.")
    var pcmStdin = false

    @Option(help: "Sample rate of the PCM on stdin, in Hz.")
    var rate: Int?

    @Option(help: "Channels of the PCM on stdin.")
    var channels = 1

    @Option(help: "The encoder's --max-message-bytes: files bigger than this are streamed as PCM.")
    var maxMessageBytes = 256 * 1024 * 1024

    @Option(help: "Seconds to wait for each reply.")
    var timeout = 30.0

    @OptionGroup(title: "CURVE (an encoder with --feeder-keys)")
    var curve: CurveOptions

    func validate() throws {
        guard self.timeout > 0, self.timeout <= 3600 else {
            throw ValidationError("--timeout must be more than 0 and at most 3600 seconds, not \(self.timeout)")
        }
        guard self.failoverTimeout >= 0.01, self.failoverTimeout <= 60 else {
            throw ValidationError(
                "--failover-timeout must be between 0.01 and 60 seconds, not \(self.failoverTimeout)"
            )
        }
        guard !self.encoders.isEmpty else { throw ValidationError("give at least one --encoder") }
        for endpoint in self.encoders where endpoint.hasPrefix("tcp://") && TCPEndpoint(endpoint) == nil {
            throw ValidationError(
                "--encoder '\(endpoint)' is not tcp://HOST:PORT (an IPv6 address in brackets: tcp://[::1]:5555)"
            )
        }
        do {
            _ = try StreamID(self.stream)
        } catch {
            throw ValidationError("--stream: \(error)")
        }
        if self.pcmStdin {
            guard self.file == nil else { throw ValidationError("give either a FILE or --pcm-stdin, not both") }
            guard let rate = self.rate else {
                throw ValidationError("--pcm-stdin needs --rate (the PCM's sample rate)")
            }
            guard IngestRequest.sampleRateRange.contains(rate) else {
                throw ValidationError("--rate must be between 8000 and 192000 Hz, not \(rate)")
            }
            guard IngestRequest.channelRange.contains(self.channels) else {
                throw ValidationError("--channels must be between 1 and 8, not \(self.channels)")
            }
            guard !self.loop else { throw ValidationError("--loop needs a FILE; live PCM cannot be repeated") }
        } else if self.file == nil {
            throw ValidationError("give the WAV FILE to send, or --pcm-stdin")
        }
    }

    func run() throws {
        let context = try ZMQContext()
        do {
            let route = try EncoderRoute(
                context: context,
                endpoints: self.encoders,
                stream: try StreamID(self.stream),
                timeoutSeconds: self.timeout,
                failoverSeconds: self.failoverTimeout,
                curve: self.curve
            )
            if self.pcmStdin {
                try self.streamPCM(
                    from: FileReader.standardInput,
                    sampleRate: self.rate!,
                    channels: self.channels,
                    route
                )
            } else {
                try self.feedFile(self.file!, route)
            }
        } catch let error as CLIError {
            printError("error: \(error)")
            throw ExitCode.failure
        }
    }

    private var streamID: JSONValue { .string(self.stream) }

    private func feedFile(_ path: String, _ route: EncoderRoute) throws {
        let reader = try FileReader(path: path)
        let size = reader.size
        if let size, size + 4096 <= self.maxMessageBytes {
            let wav = try reader.readAll()
            let reply = try self.play(wav, route.client)
            if self.follow {
                // A looping file can be played again by the next choice when its encoder is lost; a file that
                // plays once would start again from the top, so it is not.
                try self.followPlayback(
                    route,
                    startsIn: reply.integer("starts_in_ms"),
                    duration: reply.integer("duration_ms"),
                    playAgain: self.loop && route.hasChoice ? { try self.play(wav, $0) } : nil
                )
            }
            return
        }
        guard !self.loop else {
            throw CLIError(
                "\(path) is larger than one message (--max-message-bytes), so it is streamed as PCM and cannot loop"
            )
        }
        try self.streamWAV(reader, route)
    }

    /// Sends the whole file as one `play` and prints the reply.
    @discardableResult
    private func play(_ wav: [UInt8], _ client: IngestClient) throws -> IngestReplyObject {
        let reply = try client.request(
            ["op": "play", "stream": self.streamID, "loop": .bool(self.loop)],
            payload: wav
        )
        print(reply.line)
        guard reply.isOK else { throw ExitCode.failure }
        return reply
    }

    /// Decodes a big WAV file here and sends it as open/pcm/close, keeping its rate and channels.
    private func streamWAV(_ reader: FileReader, _ route: EncoderRoute) throws {
        let client = route.client
        var decoder = WAVStreamDecoder(layout: .interleaved)
        var opened = false
        var pending: [UInt8] = []
        var progress = TransferProgress(label: "streaming")
        while let piece = try reader.read(maximum: 1 << 20) {
            let samples: [Float]
            do {
                samples = try decoder.decode(piece)
            } catch {
                throw CLIError("\(self.file ?? "input"): \(error)")
            }
            if !opened, let format = decoder.format {
                try self.open(client, sampleRate: format.sampleRate, channels: format.channels)
                opened = true
            }
            PCMConversion.appendSigned16(samples, to: &pending)
            if pending.count >= 1 << 20 {
                try self.sendPCM(pending, client)
                progress.add(pending.count)
                pending.removeAll(keepingCapacity: true)
            }
        }
        do {
            for warning in try decoder.finish() {
                printError("warning: \(warning)")
            }
        } catch {
            throw CLIError("\(self.file ?? "input"): \(error)")
        }
        if !pending.isEmpty { try self.sendPCM(pending, client) }
        progress.finish()
        try self.close(route)
    }

    /// Sends live PCM from `reader` as open/pcm/close, in pieces of about 100 ms.
    private func streamPCM(from reader: FileReader, sampleRate: Int, channels: Int, _ route: EncoderRoute) throws {
        let client = route.client
        try self.open(client, sampleRate: sampleRate, channels: channels)
        let frameBytes = 2 * channels
        let pieceBytes = max(frameBytes, sampleRate / 10 * frameBytes)
        var pending: [UInt8] = []
        while let piece = try reader.read(maximum: pieceBytes) {
            pending += piece
            let whole = pending.count - pending.count % frameBytes
            if whole >= pieceBytes {
                try self.sendPCM(Array(pending[..<whole]), client)
                pending.removeFirst(whole)
            }
        }
        let whole = pending.count - pending.count % frameBytes
        if whole > 0 { try self.sendPCM(Array(pending[..<whole]), client) }
        if pending.count > whole {
            printError("warning: dropped \(pending.count - whole) trailing bytes: not a whole s16le frame")
        }
        try self.close(route)
    }

    private func open(_ client: IngestClient, sampleRate: Int, channels: Int) throws {
        let reply = try client.request([
            "op": "open", "stream": self.streamID, "sample_rate": .number(Double(sampleRate)),
            "channels": .number(Double(channels)), "encoding": "s16le",
        ])
        print(reply.line)
        guard reply.isOK else { throw ExitCode.failure }
    }

    private func sendPCM(_ bytes: [UInt8], _ client: IngestClient) throws {
        let reply = try client.request(["op": "pcm", "stream": self.streamID], payload: bytes)
        guard reply.isOK else {
            print(reply.line)
            throw ExitCode.failure
        }
    }

    private func close(_ route: EncoderRoute) throws {
        let reply = try route.client.request(["op": "close", "stream": self.streamID])
        print(reply.line)
        guard reply.isOK else { throw ExitCode.failure }
        if self.follow {
            try self.followPlayback(route, startsIn: 0, duration: nil)
        }
    }

    /// Polls `status` and draws the stream's playback until it ends.
    ///
    /// With `playAgain` (a looping file, several encoders), the status requests wait only `--failover-timeout`,
    /// and an encoder that stops answering hands the stream to the route's next choice, which `playAgain` feeds;
    /// the feeder follows it there.
    private func followPlayback(
        _ route: EncoderRoute,
        startsIn: Int,
        duration: Int?,
        playAgain: ((IngestClient) throws -> IngestReplyObject)? = nil
    ) throws {
        var bar = PlaybackBar(stream: self.stream)
        var base: Int?
        var startsIn = startsIn
        if playAgain != nil { try route.client.setTimeout(seconds: self.failoverTimeout) }
        while true {
            let reply: IngestReplyObject
            do {
                reply = try route.client.request(["op": "status", "stream": self.streamID])
            } catch let error as CLIError {
                guard let playAgain else { throw error }
                bar.finish(ended: false)
                let wait = String(seconds: self.failoverTimeout)
                printError(
                    "\(self.stream): encoder \(route.client.endpoint) stopped answering (no reply within \(wait) s); "
                        + "the next choice takes the stream"
                )
                try route.failOver()
                startsIn = try playAgain(route.client).integer("starts_in_ms")
                try route.client.setTimeout(seconds: self.failoverTimeout)
                bar = PlaybackBar(stream: self.stream)
                base = nil
                continue
            }
            guard reply.isOK, case .array(let streams)? = reply["streams"], case .object(let status)? = streams.first
            else {
                bar.finish(ended: true)
                return
            }
            let position = status.integer("position_ms")
            let queued = status.integer("queued_ms")
            if base == nil { base = position + startsIn }
            let total = duration ?? (position - base! + queued)
            bar.draw(elapsed: max(0, position - base!), total: total, looping: status["loop"] == .bool(true))
            usleep(250_000)
        }
    }
}
