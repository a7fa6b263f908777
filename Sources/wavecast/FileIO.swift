#if canImport(Glibc)
import Glibc
#endif

/// Reads a file (or standard input) in pieces with plain POSIX calls.
final class FileReader {
    private let descriptor: Int32
    private let ownsDescriptor: Bool
    /// The file's size, when it is a regular file.
    let size: Int?

    /// Standard input.
    static var standardInput: FileReader { FileReader(descriptor: 0) }

    private init(descriptor: Int32) {
        self.descriptor = descriptor
        self.ownsDescriptor = false
        self.size = nil
    }

    init(path: String) throws {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw CLIError("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        var info = stat()
        fstat(descriptor, &info)
        self.descriptor = descriptor
        self.ownsDescriptor = true
        self.size = (info.st_mode & S_IFMT) == S_IFREG ? Int(info.st_size) : nil
    }

    deinit {
        if self.ownsDescriptor { close(self.descriptor) }
    }

    /// The next piece of at most `maximum` bytes, or `nil` at the end.
    func read(maximum: Int) throws -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: maximum)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(self.descriptor, $0.baseAddress, maximum) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw CLIError("read failed: \(String(cString: strerror(errno)))") }
            if count == 0 { return nil }
            buffer.removeLast(maximum - count)
            return buffer
        }
    }

    /// Everything left.
    func readAll() throws -> [UInt8] {
        var all: [UInt8] = []
        if let size { all.reserveCapacity(size) }
        while let piece = try self.read(maximum: 1 << 20) { all += piece }
        return all
    }
}

/// Writes to a file, or to standard output for "-".
final class FileWriter {
    private let descriptor: Int32

    init(path: String) throws {
        if path == "-" {
            self.descriptor = 1
            return
        }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else {
            throw CLIError("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        self.descriptor = descriptor
    }

    deinit {
        if self.descriptor > 2 { close(self.descriptor) }
    }

    func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes {
                Glibc.write(self.descriptor, $0.baseAddress! + offset, $0.count - offset)
            }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw CLIError("write failed: \(String(cString: strerror(errno)))") }
            offset += written
        }
    }
}

/// Float samples to s16le bytes, for re-sending decoded WAV audio as live PCM.
enum PCMConversion {
    static func appendSigned16(_ samples: [Float], to bytes: inout [UInt8]) {
        bytes.reserveCapacity(bytes.count + samples.count * 2)
        for sample in samples {
            let value = Int16(max(-32768, min(32767, (sample * 32768).rounded())))
            bytes.append(UInt8(truncatingIfNeeded: value))
            bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        }
    }
}
