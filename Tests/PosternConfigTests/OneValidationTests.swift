import Foundation
import Testing
@testable import PosternConfig

/// One validation path (issue 14, section 2): what the dialog refuses, `validate()` refuses
/// too, so IMPORT, batch flags and a file read back cannot bring it in.
@Suite struct OneValidationTests {
    static func withRAT(_ entry: RecipientAccessEntry) -> Configuration {
        var configuration = FactoryDefaults.configuration
        configuration.listeners[0].recipientAccess?.entries.append(entry)
        return configuration
    }

    static let badEntries: [(label: String, entry: RecipientAccessEntry, path: String)] = [
        ("REJECT 250", RecipientAccessEntry(pattern: try! RecipientPattern(parsing: "lost@example.net"), action: .reject,
                                            response: SMTPResponse(code: 250, text: "ok")), "response.code"),
        ("REJECT 999", RecipientAccessEntry(pattern: try! RecipientPattern(parsing: "weird@example.net"), action: .reject,
                                            response: SMTPResponse(code: 999, text: "weird")), "response.code"),
        ("ACCEPT 550", RecipientAccessEntry(pattern: try! RecipientPattern(parsing: "a@example.net"), action: .accept,
                                            response: SMTPResponse(code: 550, text: "no")), "response.code"),
        ("non-ASCII text", RecipientAccessEntry(pattern: try! RecipientPattern(parsing: "b@example.net"), action: .accept,
                                                response: SMTPResponse(code: 250, text: "Grüße")), "response.text"),
        ("bypass on a Reject", RecipientAccessEntry(pattern: try! RecipientPattern(parsing: "c@example.net"),
                                                    action: .reject, bypassReceivingControl: true), "entries[c@example.net]"),
    ]

    @Test(arguments: badEntries) func theRATKeepsEachActionToItsCodes(
        _ label: String, _ entry: RecipientAccessEntry, _ path: String
    ) {
        let problems = Self.withRAT(entry).validate()
        #expect(problems.count == 1, "\(label): \(problems)")
        #expect(problems.first?.path.hasPrefix("listeners[InboundMail].recipientAccess.entries[") == true, "\(label)")
        #expect(problems.first?.path.hasSuffix(path) == true, "\(label): \(problems)")
    }

    @Test func aStandardCustomResponseIsFine() throws {
        let entry = RecipientAccessEntry(pattern: try RecipientPattern(parsing: "d@example.net"), action: .reject,
                                         response: SMTPResponse(code: 450, text: "try later"))
        #expect(Self.withRAT(entry).validate() == [])
    }

    static let domains: [(name: String, valid: Bool)] = [
        ("example.com", true), ("mx-1.example.com", true), ("localhost", true), ("bad_domain", false),
        ("999.999.999.999", false), ("1.2.3.4", false), ("bad name", false), ("", false), ("example.123", false),
    ]

    @Test(arguments: domains) func domainNames(_ name: String, _ valid: Bool) {
        #expect(Hostname.isValidDomain(name) == valid, "\(name)")
    }

    @Test func certificateNamesAllowOneLeadingWildcard() {
        #expect(Hostname.isValidCertificateName("*.example.com"))
        #expect(!Hostname.isValidCertificateName("*.*.example.com"))
        #expect(!Hostname.isValidCertificateName("bad name"))
    }

    @Test func aRouteToNoAddressAndNoNameIsRefused() {
        guard case .failure = RouteDestination.parse("999.999.999.999") else {
            Issue.record("999.999.999.999 was taken as a destination")
            return
        }
        #expect((try? RouteDestination.parse("192.0.2.25:2525").get()) == .host(name: "192.0.2.25", port: 2525, priority: 0))
    }

    @Test func aDestinationForABadDomainIsAProblem() {
        var configuration = FactoryDefaults.configuration
        configuration.delivery.destinations.entries.append(DestinationControl(domain: "bad_domain"))
        #expect(configuration.validate().map(\.path) == ["delivery.destinations[bad_domain]"])
    }
}

/// A new RAT entry goes before the broader entries that would hide it (issue 14, section 5).
@Suite struct RecipientOrderTests {
    static let covering: [(broad: String, narrow: String, covers: Bool)] = [
        ("example.com", "joe@example.com", true),
        (".example.com", "joe@mx.example.com", true),
        (".example.com", "mx.example.com", true),
        (".com", ".example.com", true),
        ("postmaster@", "postmaster@example.com", true),
        ("example.com", "example.org", false),
        ("joe@example.com", "example.com", false),
        (".example.com", "example.com", false),
        ("example.com", "joe@mx.example.com", false),
    ]

    @Test(arguments: covering) func covers(_ broad: String, _ narrow: String, _ covers: Bool) throws {
        #expect(try RecipientPattern(parsing: broad).covers(RecipientPattern(parsing: narrow)) == covers)
    }

    @Test func aNarrowEntryGoesBeforeTheFirstBroaderOne() throws {
        let table = RecipientAccessTable(entries: [
            RecipientAccessEntry(pattern: try RecipientPattern(parsing: "other.example"), action: .accept),
            RecipientAccessEntry(pattern: try RecipientPattern(parsing: "example.com"), action: .accept),
        ])
        #expect(table.insertionIndex(for: try RecipientPattern(parsing: "blocked@example.com")) == 1)
        #expect(table.insertionIndex(for: try RecipientPattern(parsing: "example.org")) == 2)
    }
}
