// The reproducer behind scripts/sanitizers/mutex-blind-spot (docs/RELIABILITY.md, "Sanitizers").
//
// Four threads append to one array behind a lock, as the encoder's reactor and encoding threads do with
// their job queues and result mailbox. Every access is inside the lock, so there is no race; the question
// is whether ThreadSanitizer can see that.
//
//   MutexBlindSpot mutex     Synchronization.Mutex. Its fast paths are inlined (and instrumented), but a
//                            contended lock is handed over by the kernel: `_lockSlow`/`_unlockSlow` live in
//                            the uninstrumented Synchronization library and use FUTEX_LOCK_PI/FUTEX_UNLOCK_PI,
//                            so the sanitizer sees no release→acquire edge and reports a race.
//   MutexBlindSpot pthread   A pthread mutex, as NIOConcurrencyHelpers' NIOLock uses: intercepted by the
//                            sanitizer's runtime, which models it; no report.
import Glibc
import Synchronization

/// A value behind a pthread mutex, the way `NIOLockedValueBox` keeps one.
final class PthreadLocked<Value>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    init(_ value: Value) {
        self.value = value
        self.mutex = .allocate(capacity: 1)
        pthread_mutex_init(self.mutex, nil)
    }

    func withLock<Result>(_ body: (inout Value) -> Result) -> Result {
        pthread_mutex_lock(self.mutex)
        defer { pthread_mutex_unlock(self.mutex) }
        return body(&self.value)
    }
}

let usePthread: Bool
switch CommandLine.arguments.dropFirst().first {
case "mutex": usePthread = false
case "pthread": usePthread = true
default:
    print("usage: MutexBlindSpot mutex|pthread")
    exit(2)
}

let mutexQueue = Mutex<[Int]>([])
let pthreadQueue = PthreadLocked<[Int]>([])
let threads = 4
// Enough for several contended hand-overs; far more makes the Mutex runs slow under TSan (minutes at 20,000).
let appendsPerThread = 500

func hammer() {
    for index in 0..<appendsPerThread {
        if usePthread {
            pthreadQueue.withLock { queue in
                queue.append(index)
                if queue.count > 64 { queue.removeAll(keepingCapacity: true) }
            }
        } else {
            mutexQueue.withLock { queue in
                queue.append(index)
                if queue.count > 64 { queue.removeAll(keepingCapacity: true) }
            }
        }
    }
}

var handles: [pthread_t] = []
for _ in 0..<threads {
    var handle = pthread_t()
    pthread_create(&handle, nil, { _ in hammer(); return nil }, nil)
    handles.append(handle)
}
for handle in handles { pthread_join(handle, nil) }
