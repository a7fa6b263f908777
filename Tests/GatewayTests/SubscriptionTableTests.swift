import Testing
import WavecastCore

@testable import Gateway

/// The gateway's subscription decisions, on made-up times (no socket, no clock).
struct SubscriptionTableTests {
    static let delay: UInt64 = 5_000_000_000
    static let a = try! StreamID("call-1")
    static let b = try! StreamID("call-10")

    @Test func aFirstListenerSubscribesAndGetsABurst() {
        var table = SubscriptionTable(unsubscribeDelay: Self.delay)
        #expect(!table.isSubscribed(Self.a))
        #expect(table.loopJoined(Self.a, loop: 1) == [.subscribe(Self.a), .sendBurst(Self.a, loop: 1)])
        #expect(table.isSubscribed(Self.a))
        #expect(!table.isSubscribed(Self.b), "a subscription is exact, not a prefix")
        #expect(Array(table.loops(of: Self.a)) == [1])
        // A second loop: a burst for it, no second subscription.
        #expect(table.loopJoined(Self.a, loop: 0) == [.sendBurst(Self.a, loop: 0)])
        #expect(Array(table.loops(of: Self.a)) == [0, 1])
        #expect(table.subscribedCount == 1)
    }

    @Test func theLastListenerLeavingUnsubscribesAfterTheDelay() {
        var table = SubscriptionTable(unsubscribeDelay: Self.delay)
        _ = table.loopJoined(Self.a, loop: 0)
        _ = table.loopJoined(Self.a, loop: 1)
        table.loopLeft(Self.a, loop: 0, now: 1_000)
        #expect(table.nextExpiry == nil, "loop 1 still listens")
        #expect(Array(table.loops(of: Self.a)) == [1])
        table.loopLeft(Self.a, loop: 1, now: 2_000)
        #expect(table.loops(of: Self.a).isEmpty)
        #expect(table.isSubscribed(Self.a), "still subscribed during the delay")
        #expect(table.nextExpiry == 2_000 + Self.delay)
        #expect(table.expire(now: 2_000 + Self.delay - 1) == [])
        #expect(table.expire(now: 2_000 + Self.delay) == [.unsubscribe(Self.a)])
        #expect(!table.isSubscribed(Self.a))
        #expect(table.nextExpiry == nil)
        // And taken again on return.
        #expect(table.loopJoined(Self.a, loop: 0) == [.subscribe(Self.a), .sendBurst(Self.a, loop: 0)])
    }

    @Test func returningWithinTheDelayKeepsTheSubscription() {
        var table = SubscriptionTable(unsubscribeDelay: Self.delay)
        _ = table.loopJoined(Self.a, loop: 0)
        table.loopLeft(Self.a, loop: 0, now: 0)
        #expect(table.loopJoined(Self.a, loop: 1) == [.sendBurst(Self.a, loop: 1)])
        #expect(table.expire(now: Self.delay) == [], "the stale expiry is skipped")
        // Leaving again later schedules a new expiry; only that one counts.
        table.loopLeft(Self.a, loop: 1, now: 100)
        #expect(table.expire(now: Self.delay) == [])
        #expect(table.expire(now: Self.delay + 100) == [.unsubscribe(Self.a)])
    }

    @Test func expiriesComeInOrderAcrossStreams() {
        var table = SubscriptionTable(unsubscribeDelay: 10)
        _ = table.loopJoined(Self.a, loop: 0)
        _ = table.loopJoined(Self.b, loop: 0)
        table.loopLeft(Self.a, loop: 0, now: 1)
        table.loopLeft(Self.b, loop: 0, now: 2)
        #expect(table.expire(now: 11) == [.unsubscribe(Self.a)])
        #expect(table.expire(now: 100) == [.unsubscribe(Self.b)])
        #expect(table.subscribedCount == 0)
    }

    @Test func aLeaveWithoutAJoinIsIgnored() {
        var table = SubscriptionTable(unsubscribeDelay: 10)
        table.loopLeft(Self.a, loop: 0, now: 1)
        _ = table.loopJoined(Self.a, loop: 0)
        table.loopLeft(Self.a, loop: 3, now: 1)
        #expect(Array(table.loops(of: Self.a)) == [0])
        #expect(table.nextExpiry == nil)
    }

    @Test func aZeroDelayUnsubscribesAtTheNextExpiry() {
        var table = SubscriptionTable(unsubscribeDelay: 0)
        _ = table.loopJoined(Self.a, loop: 0)
        table.loopLeft(Self.a, loop: 0, now: 7)
        #expect(table.expire(now: 7) == [.unsubscribe(Self.a)])
    }

    @Test func loopSets() {
        var set = LoopSet()
        #expect(set.isEmpty && Array(set) == [])
        #expect(set.insert(63) && set.insert(0) && !set.insert(0))
        #expect(Array(set) == [0, 63])
        #expect(set.remove(63) && !set.remove(63) && !set.remove(64) && !set.remove(-1))
        #expect(Array(LoopSet.all(count: 3)) == [0, 1, 2])
        #expect(Array(LoopSet.all(count: 64)).count == 64)
    }
}
