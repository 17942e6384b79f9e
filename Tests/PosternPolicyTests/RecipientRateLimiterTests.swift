import PosternConfig
import Testing
@testable import PosternPolicy

@Suite struct RecipientRateLimiterTests {
    final class FakeClock: @unchecked Sendable {
        var now = 50.0
    }

    let host = RecipientRateLimiter.Key(listener: "InboundMail", address: IPAddress("192.0.2.1")!)

    @Test func countsWithinTheHourAndSlidesOut() {
        let clock = FakeClock()
        let limiter = RecipientRateLimiter(clock: { clock.now })
        #expect(limiter.used(host) == 0)
        limiter.record(30, for: host)
        clock.now += 1800
        limiter.record(10, for: host)
        #expect(limiter.used(host) == 40)
        // Into the next hour by a quarter: three quarters of the 40 still count.
        clock.now += 1800 + 900
        #expect(limiter.used(host) == 30)
        limiter.record(5, for: host)
        #expect(limiter.used(host) == 35)
        // Past the end of the hour after: only what came in it is left, weighed the same way.
        clock.now += 3600
        #expect(limiter.used(host) == 4)
        clock.now += 3600
        #expect(limiter.used(host) == 0)
    }

    @Test func hostsAndListenersAreCountedApart() {
        let clock = FakeClock()
        let limiter = RecipientRateLimiter(clock: { clock.now })
        let other = RecipientRateLimiter.Key(listener: "InboundMail", address: IPAddress("2001:db8::1")!)
        let otherListener = RecipientRateLimiter.Key(listener: "OutboundMail", address: host.address)
        limiter.record(3, for: host)
        limiter.record(7, for: other)
        #expect(limiter.used(host) == 3)
        #expect(limiter.used(other) == 7)
        #expect(limiter.used(otherListener) == 0)
    }

    @Test func silentHostsAreForgotten() {
        let clock = FakeClock()
        let limiter = RecipientRateLimiter(clock: { clock.now })
        for i in 1...100 {
            limiter.record(1, for: .init(listener: "L", address: IPAddress("10.0.0.\(i)")!))
        }
        #expect(limiter.trackedHosts == 100)
        clock.now += 7300
        limiter.record(1, for: host)
        #expect(limiter.trackedHosts == 1)
    }
}
