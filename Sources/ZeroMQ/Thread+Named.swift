public import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension Thread {
    /// The most bytes of a thread's name the kernel keeps (Linux's `TASK_COMM_LEN` less its terminator).
    public static let kernelNameLimit = 15

    /// Starts a thread that runs `body` under `name`: the name `top -H`, `perf`, `/proc` and sanitizer reports show.
    ///
    /// The thread names itself before `body` runs. On Linux, Foundation's `Thread.name` reaches the kernel only when
    /// the thread sets it after `start()` has returned to its caller, and never in more than 15 bytes, so the
    /// services' threads all showed their parent's name. A longer `name` is cut to ``kernelNameLimit`` bytes.
    public static func start(named name: String, _ body: @escaping @Sendable () -> Void) {
        let name = String(decoding: name.utf8.prefix(Self.kernelNameLimit), as: UTF8.self)
        let thread = Thread {
            Self.setKernelName(name)
            body()
        }
        thread.name = name
        thread.start()
    }

    /// Writes `name` as the calling thread's name in the kernel; best effort, as a name is only for people.
    static func setKernelName(_ name: String) {
        #if os(Linux)
        let descriptor = open("/proc/thread-self/comm", O_WRONLY)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        let bytes = Array(name.utf8)
        _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        #endif
    }
}
