import ArgumentParser
import Foundation
import WavecastCore

/// The listener token a WebSocket client presents, read from a file or the environment (argv is
/// readable by every user of the machine) and added to the URL as `?token=`.
struct TokenOption: ParsableArguments {
    @Option(
        name: .customLong("token-file"),
        help: "File holding the listener token (from `wavecast token`); or the token itself in WAVECAST_TOKEN."
    )
    var tokenFile: String?

    /// The token, if one was given: the file's text, else `WAVECAST_TOKEN`.
    func token() throws -> String? {
        if let tokenFile {
            do {
                let text = try String(contentsOfFile: tokenFile, encoding: .utf8)
                return text.trimmingCharacters(in: .whitespacesAndNewlines)
            } catch {
                throw CLIError("cannot read --token-file \(tokenFile): \(error.localizedDescription)")
            }
        }
        return EnvironmentDefaults().value("token")
    }

    /// `url` with the token added as a query parameter, or unchanged without a token.
    func apply(to url: String) throws -> String {
        guard let token = try self.token() else { return url }
        return url + (url.contains("?") ? "&" : "?") + "token=" + token
    }
}
