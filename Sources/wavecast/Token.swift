import ArgumentParser
import Foundation
import WavecastCore
import WavecastTokens

/// `wavecast token`: signs a listener token with the gateways' secret.
struct Token: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sign a listener token (an HS256 JWT) for one or more streams and print it.",
        discussion: """
            The secret comes from --secret-file or WAVECAST_TOKEN_SECRET_FILE (never from the command \
            line, which every user of the machine can read). Listeners present the token as \
            ?token=JWT or as the WebSocket subprotocols 'wavecast' and 'token.JWT'.
            """
    )

    @Option(
        help: "A stream the token grants; repeat for several. End it with '*' to grant every stream with that prefix."
    )
    var stream: [String] = []

    @Option(help: "How long the token is valid: e.g. 90s, 15m, 1h, 7d.")
    var ttl = "1h"

    @Option(help: "Who the token is for (its 'sub' claim, for logs).")
    var subject: String?

    @Option(help: "File holding the secret (the gateways' --token-secret-file); or WAVECAST_TOKEN_SECRET_FILE.")
    var secretFile = EnvironmentDefaults().value("token-secret-file")

    func validate() throws {
        guard !self.stream.isEmpty else { throw ValidationError("give at least one --stream") }
        for stream in self.stream {
            let id = stream.hasSuffix("*") ? String(stream.dropLast()) : stream
            // A bare '*' grants every stream; a prefix need not be a whole id, but must be made of id characters.
            guard id.isEmpty || (try? StreamID(id)) != nil || (try? StreamID(id + "x")) != nil else {
                throw ValidationError("--stream '\(stream)' is not a stream id (or a prefix of one ending in '*')")
            }
        }
        guard Self.seconds(self.ttl) != nil else {
            throw ValidationError(
                "--ttl must be a positive number with s, m, h or d (e.g. 15m), at most 366d, not '\(self.ttl)'"
            )
        }
        guard self.secretFile != nil else {
            throw ValidationError("give --secret-file (or set WAVECAST_TOKEN_SECRET_FILE): the gateways' token secret")
        }
    }

    func run() throws {
        let file = self.secretFile!
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw CLIError("cannot read the secret file \(file): \(error.localizedDescription)")
        }
        let signer: TokenSigner
        do {
            signer = try TokenSigner(secretText: text)
        } catch {
            throw CLIError("\(file): \(error)")
        }
        let expires = Int64(Date().timeIntervalSince1970) + Self.seconds(self.ttl)!
        print(signer.sign(ListenerToken(streams: self.stream, expires: expires, subject: self.subject)))
    }

    /// `90s`, `15m`, `1h` or `7d` in seconds, at most 366 days; `nil` for anything else.
    static func seconds(_ text: String) -> Int64? {
        guard let unit = text.last, let value = Int64(text.dropLast()), value > 0 else { return nil }
        let scale: Int64
        switch unit {
        case "s": scale = 1
        case "m": scale = 60
        case "h": scale = 3600
        case "d": scale = 86400
        default: return nil
        }
        let (seconds, overflow) = value.multipliedReportingOverflow(by: scale)
        guard !overflow, seconds <= 366 * 86400 else { return nil }
        return seconds
    }
}
