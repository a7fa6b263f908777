import Testing

@testable import Gateway

/// ``DrainSchedule``: which client of a draining gateway closes when, without I/O.
struct DrainScheduleTests {
    /// Twenty clients over four seconds: one every 200 ms, the first at once, the last at 3.8 s.
    @Test func clientsAreSpreadEvenlyOverTheWindow() {
        let schedule = DrainSchedule(clientCount: 20, window: .seconds(4))
        let offsets = (0..<20).map { schedule.offset(ofClient: $0) }
        #expect(offsets == (0..<20).map { Duration.milliseconds(200 * $0) })
        #expect(schedule.lastOffset == .milliseconds(3800))
    }

    /// Offsets never go backwards and stay inside the window, even when it does not divide evenly.
    @Test(arguments: [1, 2, 3, 7, 999, 20_000, 1_000_000])
    func offsetsRiseAndStayInsideTheWindow(clients: Int) {
        let window = Duration.milliseconds(5003)
        let schedule = DrainSchedule(clientCount: clients, window: window)
        var previous = Duration.zero
        for index in stride(from: 0, to: clients, by: max(1, clients / 1000)) {
            let offset = schedule.offset(ofClient: index)
            #expect(offset >= previous && offset < window, "client \(index) of \(clients) at \(offset)")
            previous = offset
        }
        #expect(schedule.offset(ofClient: 0) == .zero)
    }

    /// No window, or a single client: everything closes at once, as before the drain existed.
    @Test func noWindowOrOneClientClosesAtOnce() {
        let atOnce = DrainSchedule(clientCount: 50, window: .zero)
        #expect((0..<50).allSatisfy { atOnce.offset(ofClient: $0) == .zero })
        #expect(DrainSchedule(clientCount: 1, window: .seconds(5)).lastOffset == .zero)
        #expect(DrainSchedule(clientCount: 0, window: .seconds(5)).lastOffset == .zero)
        #expect(DrainSchedule(clientCount: 3, window: .seconds(-1)).window == .zero)
    }

    /// A client that arrived after the count (an upgrade already accepted) closes with the last one.
    @Test func indicesPastTheCountCloseWithTheLast() {
        let schedule = DrainSchedule(clientCount: 4, window: .seconds(4))
        #expect(schedule.offset(ofClient: 9) == .seconds(3))
        #expect(schedule.offset(ofClient: -1) == .zero)
    }

    /// Batches: clients whose closes fall in one tick go together, in order, and cover every client once.
    @Test func batchesGroupClientsByTick() {
        let schedule = DrainSchedule(clientCount: 10_000, window: .seconds(1))
        let batches = schedule.batches(of: 0..<10_000, resolution: .milliseconds(1))
        #expect(batches.count == 1000, "one batch per millisecond")
        #expect(batches.first == .init(offset: .zero, clients: 0..<10))
        #expect(batches.last == .init(offset: .milliseconds(999), clients: 9990..<10_000))
        #expect(batches.map(\.clients.count).reduce(0, +) == 10_000)
        #expect(zip(batches, batches.dropFirst()).allSatisfy { $0.clients.upperBound == $1.clients.lowerBound })
        // A loop's share keeps its place in the whole order.
        let share = schedule.batches(of: 5000..<5020, resolution: .milliseconds(1))
        #expect(share.map(\.offset) == [.milliseconds(500), .milliseconds(501)])
        #expect(schedule.batches(of: 0..<0, resolution: .milliseconds(1)).isEmpty)
    }
}
