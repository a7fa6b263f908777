import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A CURVE certificate file in the ZPL text form czmq and pyzmq write (`zmq.auth.create_certificates`):
/// a `metadata` section of `name = "value"` lines, then a `curve` section with `public-key` and, in
/// the secret file, `secret-key`.
///
/// `NAME.key` is the public certificate, handed to whoever must recognise its holder; `NAME.key_secret`
/// also holds the secret key and stays with its owner. pyzmq's `zmq.auth.load_certificate` reads both.
public struct CurveCertificate: Sendable, Hashable {
    /// The public key, Z85.
    public var publicKey: String
    /// The secret key, Z85, in a secret certificate only.
    public var secretKey: String?
    /// The `metadata` section's entries (e.g. `streams = "tenant-a/"`).
    public var metadata: [String: String]

    /// A certificate for `keys`, public only unless `includingSecret`.
    public init(keys: CurveKeyPair, includingSecret: Bool, metadata: [String: String] = [:]) {
        self.publicKey = keys.publicKey
        self.secretKey = includingSecret ? keys.secretKey : nil
        self.metadata = metadata
    }

    /// The key pair of a secret certificate, checked; `nil` for a public one.
    public func keyPair() throws(CurveKeyError) -> CurveKeyPair? {
        guard let secretKey else { return nil }
        return try CurveKeyPair(secretKey: secretKey)
    }

    // MARK: Text

    /// Parses certificate text; `path` only names the file in errors.
    ///
    /// - Throws: ``CurveKeyError/unreadableCertificate(path:reason:)`` when there is no valid
    ///   `public-key`, or a `secret-key` is malformed or does not match it.
    public init(parsing text: String, path: String) throws(CurveKeyError) {
        var section = ""
        var publicKey: String?
        var secretKey: String?
        var metadata: [String: String] = [:]
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard rawLine.first == " " || rawLine.first == "\t" else {
                section = line
                continue
            }
            guard let equals = line.firstIndex(of: "=") else {
                throw .unreadableCertificate(path: path, reason: "line \(number + 1) is not `name = \"value\"`")
            }
            let name = line[..<equals].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: equals)...].trimmingCharacters(in: CharacterSet(charactersIn: " \t\"'"))
            switch (section, name) {
            case ("curve", "public-key"): publicKey = value
            case ("curve", "secret-key"): secretKey = value
            case ("metadata", _): metadata[name] = value
            default: continue
            }
        }
        guard let publicKey else {
            throw .unreadableCertificate(path: path, reason: "it has no `public-key` in a `curve` section")
        }
        guard Z85.decode(publicKey)?.count == 32 else {
            throw .unreadableCertificate(path: path, reason: "its public-key is not a 40-character Z85 key")
        }
        if let secretKey {
            guard let pair = try? CurveKeyPair(secretKey: secretKey) else {
                throw .unreadableCertificate(path: path, reason: "its secret-key is not a 40-character Z85 key")
            }
            guard pair.publicKey == publicKey else {
                throw .unreadableCertificate(path: path, reason: "its public-key does not belong to its secret-key")
            }
        }
        self.publicKey = publicKey
        self.secretKey = secretKey
        self.metadata = metadata
    }

    /// The certificate as text, in the form czmq and pyzmq read.
    public var text: String {
        var text =
            self.secretKey == nil
            ? "#   ZeroMQ CURVE Public Certificate (wavecast keygen)\n#   Give it to whoever must recognise its holder.\n\n"
            : "#   ZeroMQ CURVE **Secret** Certificate (wavecast keygen)\n#   DO NOT PROVIDE THIS FILE TO OTHER USERS.\n\n"
        text += "metadata\n"
        for name in self.metadata.keys.sorted() {
            text += "    \(name) = \"\(self.metadata[name]!)\"\n"
        }
        text += "curve\n    public-key = \"\(self.publicKey)\"\n"
        if let secretKey = self.secretKey {
            text += "    secret-key = \"\(secretKey)\"\n"
        }
        return text
    }

    // MARK: Files

    /// Reads the certificate at `path`.
    public init(contentsOf path: String) throws(CurveKeyError) {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .unreadableCertificate(path: path, reason: "it cannot be read (\(Self.reason(error)))")
        }
        try self.init(parsing: text, path: path)
    }

    /// Every public certificate (`*.key`) in `directory`, by public key; the file name without `.key`
    /// is each one's name. A key listed twice keeps the first name in sorted order.
    ///
    /// - Throws: ``CurveKeyError/unreadableCertificate(path:reason:)`` for the directory or the first
    ///   bad file: one broken file must not silently shrink an allow-list.
    public static func loadDirectory(
        _ directory: String
    ) throws(CurveKeyError) -> [String: (name: String, certificate: CurveCertificate)] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        } catch {
            throw .unreadableCertificate(
                path: directory,
                reason: "the directory cannot be listed (\(Self.reason(error)))"
            )
        }
        var certificates: [String: (name: String, certificate: CurveCertificate)] = [:]
        for file in names where file.hasSuffix(".key") {
            let certificate = try CurveCertificate(contentsOf: directory + "/" + file)
            if certificates[certificate.publicKey] == nil {
                certificates[certificate.publicKey] = (String(file.dropLast(4)), certificate)
            }
        }
        return certificates
    }

    /// Writes `NAME.key` (public) and `NAME.key_secret` (secret) into `directory`. The secret file is
    /// created with mode 0600 from its first byte (never readable by others, even for a moment), and an
    /// existing key is kept unless `replacing`.
    ///
    /// - Returns: The two paths, public first.
    public static func write(
        _ keys: CurveKeyPair,
        name: String,
        metadata: [String: String] = [:],
        into directory: String,
        replacing: Bool = false
    ) throws(CurveKeyError) -> (publicPath: String, secretPath: String) {
        let publicPath = directory + "/" + name + ".key"
        let secretPath = publicPath + "_secret"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .unreadableCertificate(
                path: directory,
                reason: "the directory cannot be made (\(Self.reason(error)))"
            )
        }
        if replacing {
            unlink(secretPath)
            unlink(publicPath)
        }
        let secret = Array(CurveCertificate(keys: keys, includingSecret: true, metadata: metadata).text.utf8)
        try Self.create(secretPath, secret, mode: 0o600)
        let publicText = Array(CurveCertificate(keys: keys, includingSecret: false, metadata: metadata).text.utf8)
        try Self.create(publicPath, publicText, mode: 0o644)
        return (publicPath, secretPath)
    }

    /// Creates `path` (it must not exist) with `mode` and writes `bytes`.
    private static func create(_ path: String, _ bytes: [UInt8], mode: mode_t) throws(CurveKeyError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard descriptor >= 0 else {
            let reason =
                errno == EEXIST
                ? "it already exists (pass --force to replace the key)" : String(cString: strerror(errno))
            throw .unreadableCertificate(path: path, reason: "it cannot be written: \(reason)")
        }
        defer { close(descriptor) }
        // The mode asked for, whatever the umask.
        fchmod(descriptor, mode)
        let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count else {
            throw .unreadableCertificate(
                path: path,
                reason: "it cannot be written: \(String(cString: strerror(errno)))"
            )
        }
    }

    private static func reason(_ error: any Error) -> String {
        (error as NSError).localizedDescription
    }
}
