/// What a ``LoadTest`` measured.
public struct LoadTestReport: Sendable {
    /// What was run.
    public var configuration: LoadTestConfiguration
    /// Connects started.
    public var attempted: Int
    /// Connections upgraded.
    public var connected: Int
    /// Connects that failed, by reason.
    public var failures: [String: Int]
    /// Everything the connections received, merged over event loops.
    public var figures: LoadTestFigures
    /// Seconds after the test's start from which lateness was recorded (ramp plus settle time).
    public var measuredFromSeconds: Double
    /// Seconds from the first connect to the end of the hold.
    public var wallSeconds: Double
    /// CPU time this process spent in user mode, in seconds (the whole run, closing included).
    public var cpuUserSeconds: Double
    /// CPU time this process spent in the kernel, in seconds.
    public var cpuSystemSeconds: Double
    /// The open-file limit in force.
    public var fileLimit: Int

    /// Creates a report.
    public init(
        configuration: LoadTestConfiguration,
        attempted: Int,
        connected: Int,
        failures: [String: Int],
        figures: LoadTestFigures,
        measuredFromSeconds: Double,
        wallSeconds: Double,
        cpuUserSeconds: Double,
        cpuSystemSeconds: Double,
        fileLimit: Int
    ) {
        self.configuration = configuration
        self.attempted = attempted
        self.connected = connected
        self.failures = failures
        self.figures = figures
        self.measuredFromSeconds = measuredFromSeconds
        self.wallSeconds = wallSeconds
        self.cpuUserSeconds = cpuUserSeconds
        self.cpuSystemSeconds = cpuSystemSeconds
        self.fileLimit = fileLimit
    }

    /// Connects that failed.
    public var failed: Int { self.failures.values.reduce(0, +) }

    /// This process's CPU use as a percentage of one core over ``wallSeconds``.
    public var cpuPercent: Double {
        self.wallSeconds > 0 ? (self.cpuUserSeconds + self.cpuSystemSeconds) / self.wallSeconds * 100 : 0
    }
}
