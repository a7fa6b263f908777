import Encoder
import Logging
import ServiceLifecycle
import UnixSignals

/// Re-reads the encoder's key allow-lists on each SIGHUP, so keys are added and revoked without a restart.
struct KeyringReloader: Service {
    let keyring: EncoderKeyring
    let logger: Logger

    /// Reloads on each SIGHUP until the service group shuts down; a failed reload keeps the lists in force.
    func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        for await _ in hangups.cancelOnGracefulShutdown() {
            do {
                let counts = try self.keyring.reload()
                self.logger.notice(
                    "Reloaded the allowed keys",
                    metadata: ["feeders": "\(counts.feeders)", "gateways": "\(counts.gateways)"]
                )
            } catch {
                self.logger.error("Kept the allowed keys as they were: \(error)")
            }
        }
    }
}
