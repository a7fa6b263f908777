import NIOCore
import NIOPosix

/// Holds many WebSocket connections to one gateway stream and measures what they receive.
///
/// Connections are spread round-robin over a `MultiThreadedEventLoopGroup`; each loop keeps its
/// own ``LoadTestFigures`` (no lock on the hot path) and they are merged at the end. The run is
/// bounded: ramp, then ``LoadTestConfiguration/seconds``, then at most the grace period for
/// closing, whatever the server does.
public enum LoadTest {
    /// Runs a load test and blocks until it is over. Do not call it on an event loop.
    ///
    /// - Parameters:
    ///   - configuration: what to run.
    ///   - progress: called (on some thread) with a line of progress now and then.
    /// - Returns: the figures of every connection, merged.
    public static func run(
        _ configuration: LoadTestConfiguration,
        progress: @escaping @Sendable (String) -> Void = { _ in }
    ) throws -> LoadTestReport {
        let fileLimit = ProcessResources.raiseOpenFileLimit(toAtLeast: configuration.clients + 256)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, configuration.threads))
        defer { try? group.syncShutdownGracefully() }
        let loops = Array(group.makeIterator())
        let cpuStart = ProcessResources.cpuTime()
        let start = NIODeadline.now()
        let rampNanoseconds = Int64(max(0, configuration.rampSeconds) * 1e9)
        let measureFrom = start + .nanoseconds(rampNanoseconds + Int64(configuration.settleSeconds * 1e9))
        let end = start + .nanoseconds(rampNanoseconds + Int64(configuration.seconds * 1e9))

        var states: [NIOLoopBound<LoadTestLoopState>] = []
        for loop in loops {
            let measureFromNanoseconds = measureFrom.uptimeNanoseconds
            states.append(
                try loop.submit {
                    NIOLoopBound(LoadTestLoopState(measureFrom: measureFromNanoseconds), eventLoop: loop)
                }.wait()
            )
        }
        let driverLoop = loops[0]
        let clientConfiguration = WebSocketClientConfiguration(
            connectTimeout: .seconds(Int64(min(10, max(1, configuration.seconds)))),
            handshakeTimeout: .seconds(Int64(min(10, max(1, configuration.seconds)))),
            closeTimeout: .nanoseconds(Int64(configuration.graceSeconds * 1e9))
        )
        let driver = try driverLoop.submit { [states] in
            let driver = RampDriver(
                loop: driverLoop,
                configuration: configuration,
                clientConfiguration: clientConfiguration,
                loops: loops,
                states: states,
                startNanoseconds: start.uptimeNanoseconds
            )
            driver.pump()
            return NIOLoopBound(driver, eventLoop: driverLoop)
        }.wait()

        // Progress once a second until the end.
        var next = start + .seconds(1)
        while next < end {
            try driverLoop.scheduleTask(deadline: next) {}.futureResult.wait()
            let line = try driverLoop.submit {
                "connected \(driver.value.connected), failed \(driver.value.failures.values.reduce(0, +))"
            }.wait()
            progress(line)
            next = next + .seconds(1)
        }
        try driverLoop.scheduleTask(deadline: end) {}.futureResult.wait()

        // The end: stop launching, take the figures, then close politely within the grace period.
        let (attempted, connected, failures) = try driverLoop.submit {
            driver.value.stop()
            return (driver.value.attempted, driver.value.connected, driver.value.failures)
        }.wait()
        var figures = LoadTestFigures()
        for (loop, state) in zip(loops, states) {
            figures.merge(
                try loop.submit {
                    state.value.ended = true
                    return state.value.snapshot()
                }.wait()
            )
        }
        let wall = Double((NIODeadline.now() - start).nanoseconds) / 1e9
        var closed: [EventLoopFuture<Void>] = []
        for (loop, state) in zip(loops, states) {
            closed.append(
                try loop.submit {
                    let futures = state.value.channels.map { WebSocketClient.close($0) }
                    return EventLoopFuture.andAllComplete(futures, on: loop)
                }.wait()
            )
        }
        let allClosed = EventLoopFuture.andAllComplete(closed, on: driverLoop)
        let graceEnd = NIODeadline.now() + .nanoseconds(Int64(configuration.graceSeconds * 1e9) + 500_000_000)
        let closedOrLate = driverLoop.makePromise(of: Void.self)
        allClosed.cascade(to: closedOrLate)
        let deadline = driverLoop.scheduleTask(deadline: graceEnd) { closedOrLate.succeed() }
        try? closedOrLate.futureResult.wait()
        deadline.cancel()
        let cpuEnd = ProcessResources.cpuTime()

        return LoadTestReport(
            configuration: configuration,
            attempted: attempted,
            connected: connected,
            failures: failures,
            figures: figures,
            measuredFromSeconds: configuration.rampSeconds + configuration.settleSeconds,
            wallSeconds: wall,
            cpuUserSeconds: cpuEnd.user - cpuStart.user,
            cpuSystemSeconds: cpuEnd.system - cpuStart.system,
            fileLimit: fileLimit
        )
    }
}
