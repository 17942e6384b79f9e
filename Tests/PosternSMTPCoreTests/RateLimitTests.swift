import Foundation
import PosternConfig
import PosternPolicy
import Testing
@testable import PosternSMTPCore

/// The policy's recipients-per-hour limit per host, as sessions see it.
@Suite struct RateLimitTests {
    final class FakeClock: @unchecked Sendable {
        var now = 1000.0
    }

    func limiter(_ clock: FakeClock) -> RecipientRateLimiter { RecipientRateLimiter(clock: { clock.now }) }

    /// Sends one message to `recipients` and returns the RCPT reply codes.
    func message(_ d: inout Driver, to recipients: [String]) -> [Int] {
        #expect(d.send("MAIL FROM:<a@b.example>") == [250])
        let codes = recipients.flatMap { d.send("RCPT TO:<\($0)>") }
        if codes.contains(250) {
            #expect(d.send("DATA") == [354])
            d.apply(d.session.dataComplete(size: 10, oversize: false, headerLines: 1, messageID: nil, subject: nil))
            d.apply(d.session.stored(true))
            #expect(d.last.code == 250)
        } else {
            #expect(d.send("RSET") == [250])
        }
        return codes
    }

    @Test func recipientsOverTheHourlyLimitGetTheLimitResponse() {
        let clock = FakeClock()
        var d = Driver(limiter: limiter(clock)) { $0.maxRecipientsPerHour = 3 }
        d.send("EHLO x")
        #expect(message(&d, to: ["a@example.com", "b@example.com"]) == [250, 250])
        // One more fits this hour; the one after it does not, in the same transaction.
        #expect(message(&d, to: ["c@example.com", "d@example.com"]) == [250, 452])
        #expect(d.replies.contains(SMTPReply(452, "#4.5.3 Too many recipients received this hour")))
        #expect(d.logs.contains("MID 102 ICID 7 To: <d@example.com> Rejected by Receiving Control"))
        #expect(message(&d, to: ["e@example.com"]) == [452])
    }

    @Test func theCountIsPerHostAcrossSessionsAndSlidesWithTheHour() {
        let clock = FakeClock()
        let shared = limiter(clock)
        var first = Driver(limiter: shared) { $0.maxRecipientsPerHour = 2 }
        first.send("EHLO x")
        #expect(message(&first, to: ["a@example.com", "b@example.com"]) == [250, 250])
        // A new connection from the same host is still over; another host is not.
        var again = Driver(limiter: shared) { $0.maxRecipientsPerHour = 2 }
        again.send("EHLO x")
        #expect(message(&again, to: ["c@example.com"]) == [452])
        var other = Driver(limiter: shared, peer: "198.51.100.1") { $0.maxRecipientsPerHour = 2 }
        other.send("EHLO x")
        #expect(message(&other, to: ["c@example.com"]) == [250])
        // An hour and a half on, half of the earlier hour still counts: one of two.
        clock.now += 5400
        #expect(message(&again, to: ["d@example.com", "e@example.com"]) == [250, 452])
        // Two hours after that, nothing does.
        clock.now += 7200
        #expect(message(&again, to: ["f@example.com", "g@example.com"]) == [250, 250])
    }

    @Test func anAbandonedTransactionCountsNothing() {
        let clock = FakeClock()
        var d = Driver(limiter: limiter(clock)) { $0.maxRecipientsPerHour = 1 }
        d.send("EHLO x")
        #expect(d.send("MAIL FROM:<a@b.example>") == [250])
        #expect(d.send("RCPT TO:<a@example.com>") == [250])
        #expect(d.send("RSET") == [250])
        #expect(message(&d, to: ["b@example.com"]) == [250])
    }

    @Test func unlimitedZeroAndACustomResponse() {
        let clock = FakeClock()
        var unlimited = Driver(limiter: limiter(clock)) { $0.maxRecipientsPerHour = -1 }
        unlimited.send("EHLO x")
        #expect(message(&unlimited, to: (0..<40).map { "r\($0)@example.com" }).allSatisfy { $0 == 250 })
        var none = Driver(limiter: limiter(clock)) {
            $0.maxRecipientsPerHour = 0
            $0.rateLimitResponse = SMTPResponse(code: 421, text: "Slow down")
        }
        none.send("EHLO x")
        #expect(message(&none, to: ["a@example.com"]) == [421])
        #expect(none.replies.contains(SMTPReply(421, "Slow down")))
    }

    @Test func hostsUnderNoLimitAreNotTracked() {
        let clock = FakeClock()
        let shared = limiter(clock)
        var d = Driver(limiter: shared) { $0.maxRecipientsPerHour = -1 }
        d.send("EHLO x")
        #expect(message(&d, to: ["a@example.com"]) == [250])
        #expect(shared.trackedHosts == 0)
        var limited = Driver(limiter: shared) { $0.maxRecipientsPerHour = 10 }
        limited.send("EHLO x")
        #expect(message(&limited, to: ["a@example.com"]) == [250])
        #expect(shared.trackedHosts == 1)
    }

    @Test func recipientsWhoseRATEntryBypassesReceivingControlAreNeitherLimitedNorCounted() throws {
        let clock = FakeClock()
        let shared = limiter(clock)
        let rat = RecipientAccessTable(entries: [
            RecipientAccessEntry(pattern: try RecipientPattern(parsing: "postmaster@"), action: .accept,
                                 bypassReceivingControl: true),
            RecipientAccessEntry(pattern: try RecipientPattern(parsing: "example.com"), action: .accept),
        ])
        var d = Driver(limiter: shared, recipientAccess: rat) { $0.maxRecipientsPerHour = 1 }
        d.send("EHLO x")
        #expect(message(&d, to: ["joe@example.com", "postmaster@example.com"]) == [250, 250])
        #expect(shared.used(d.session.context.rateKey) == 1)
        #expect(message(&d, to: ["ann@example.com", "postmaster@example.com"]) == [452, 250])
        #expect(shared.used(d.session.context.rateKey) == 1)
    }
}
