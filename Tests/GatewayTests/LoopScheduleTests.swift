import NIOCore
import Testing
import WavecastCore

@testable import Gateway

/// A loop's one timer: its events in deadline order, and when the bus thread must wake it (no clock, no loop).
struct LoopScheduleTests {
    static let frame = ByteBuffer(bytes: [0x81, 0x00])

    static func event(_ stream: String, deadline: UInt64, serial: UInt64) -> OutgoingEvent {
        OutgoingEvent(
            stream: try! StreamID(stream),
            kind: .chunk(isSync: true, sequence: serial, durationNanoseconds: 72_000_000),
            frame: Self.frame,
            seedFrame: nil,
            deadline: deadline,
            serial: serial
        )
    }

    @Test func dueEventsComeInDeadlineOrderAndTiesInSerialOrder() {
        var schedule = LoopSchedule()
        #expect(schedule.nextDeadline == nil)
        schedule.add(Self.event("b", deadline: 300, serial: 4))
        schedule.add(Self.event("a", deadline: 100, serial: 2))
        schedule.add(Self.event("c", deadline: 100, serial: 1))
        schedule.add(Self.event("a", deadline: 200, serial: 3))
        #expect(schedule.nextDeadline == 100)
        var taken: [UInt64] = []
        schedule.takeDue(now: 200) { taken.append($0.serial) }
        #expect(taken == [1, 2, 3])
        #expect(schedule.nextDeadline == 300 && schedule.count == 1)
        schedule.takeDue(now: 299) { taken.append($0.serial) }
        #expect(taken == [1, 2, 3])
        schedule.takeDue(now: .max) { taken.append($0.serial) }
        #expect(taken == [1, 2, 3, 4] && schedule.nextDeadline == nil)
    }

    @Test func slotsAreReusedSoASteadyStreamOfEventsNeedsNoMoreThanWaitAtOnce() {
        var schedule = LoopSchedule()
        var taken: [UInt64] = []
        for serial in UInt64(1)...1000 {
            // Three waiting at a time, taken out of insertion order now and then.
            schedule.add(Self.event("s", deadline: serial % 7 == 0 ? serial * 10 - 15 : serial * 10, serial: serial))
            if serial >= 3 {
                schedule.takeDue(now: (serial - 2) * 10) { taken.append($0.serial) }
            }
        }
        schedule.takeDue(now: .max) { taken.append($0.serial) }
        #expect(taken.count == 1000 && Set(taken).count == 1000)
        let deadline = { (serial: UInt64) in serial % 7 == 0 ? serial * 10 - 15 : serial * 10 }
        let inOrder = taken.sorted { (deadline($0), $0) < (deadline($1), $1) }
        #expect(taken == inOrder)
        #expect(schedule.capacity <= 4, "slots: \(schedule.capacity)")
        #expect(schedule.count == 0 && schedule.nextDeadline == nil)
    }

    @Test func theBusThreadWakesTheLoopOnlyForAnEarlierDeadline() {
        let inbox = LoopInbox()
        #expect(inbox.post(Self.event("a", deadline: 100, serial: 1)), "nothing armed: wake")
        #expect(!inbox.post(Self.event("b", deadline: 150, serial: 2)), "armed at 100 already")
        #expect(!inbox.post(Self.event("c", deadline: 100, serial: 3)))
        #expect(inbox.post(Self.event("d", deadline: 50, serial: 4)), "earlier than what is armed")
        // The task for 50 fires: it takes everything; the one for 100 is still scheduled.
        var events: [OutgoingEvent] = []
        inbox.take(firing: 50, into: &events)
        #expect(events.map(\.serial) == [1, 2, 3, 4])
        // Only the earliest task is remembered: the one for 100, superseded by 50, is not, so arming
        // for 100 schedules another (the extra one will find nothing due).
        #expect(inbox.arm(at: 70), "nothing armed after the task for 50")
        #expect(!inbox.arm(at: 100), "70 fires first")
        // A superseded task (for 100) fires while 70 is armed: 70 stays armed.
        events.removeAll()
        inbox.take(firing: 100, into: &events)
        #expect(!inbox.post(Self.event("e", deadline: 80, serial: 5)))
        inbox.take(firing: 70, into: &events)
        #expect(events.map(\.serial) == [5])
        // Nothing armed now.
        #expect(inbox.post(Self.event("f", deadline: 500, serial: 6)))
        #expect(!inbox.arm(at: 500))
    }
}
