import Testing
@testable import PosternConfig

/// Every syntax of asyncos-cli.md §2.2.
@Suite struct SenderEntryTests {
    static func v4(_ text: String) -> IPAddress { IPAddress(text)! }

    @Test(arguments: [
        ("192.0.2.7", "192.0.2.7", "192.0.2.7"),
        ("10.1.1.0/24", "10.1.1.0", "10.1.1.255"),
        ("10.1.1.77/24", "10.1.1.0", "10.1.1.255"),
        ("10/8", "10.0.0.0", "10.255.255.255"),
        ("10.2/16", "10.2.0.0", "10.2.255.255"),
        ("10.2.3.", "10.2.3.0", "10.2.3.255"),
        ("10.2.3", "10.2.3.0", "10.2.3.255"),
        ("10.2.", "10.2.0.0", "10.2.255.255"),
        ("10", "10.0.0.0", "10.255.255.255"),
        ("10.1.1.10-20", "10.1.1.10", "10.1.1.20"),
        ("10.1.1-3.", "10.1.1.0", "10.1.3.255"),
        ("10.1.1-3", "10.1.1.0", "10.1.3.255"),
        ("10.1-3.", "10.1.0.0", "10.3.255.255"),
        ("10-11", "10.0.0.0", "11.255.255.255"),
        ("10.1.1.1-10.1.2.5", "10.1.1.1", "10.1.2.5"),
        ("0.0.0.0/0", "0.0.0.0", "255.255.255.255"),
    ])
    func ipv4Forms(text: String, low: String, high: String) throws {
        let entry = try SenderEntry(parsing: text)
        #expect(entry.kind == .addresses(Self.v4(low), Self.v4(high)))
        #expect(entry.text == text)
    }

    @Test(arguments: [
        ("2001:db8::1", "2001:db8::1", "2001:db8::1"),
        ("2001:db8::/32", "2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"),
        ("2001:db8::1-2001:db8::ff", "2001:db8::1", "2001:db8::ff"),
    ])
    func ipv6Forms(text: String, low: String, high: String) throws {
        let entry = try SenderEntry(parsing: text)
        #expect(entry.kind == .addresses(IPAddress(low)!, IPAddress(high)!))
    }

    /// The system's parser stops at a NUL; the entry must not be "BA::" with junk kept in its
    /// text (found by Fuzz/HATText: the table rendered from it did not parse again).
    @Test(arguments: ["BA::\0\0   1924", "2001:db8::1\0", "2001:db8::1 x", "2001:db8::1%eth0", "::ffff:192.0.2.1\u{7f}"])
    func anIPv6FormWithOtherBytesIsRefused(text: String) {
        #expect(IPAddress(text) == nil)
        #expect(throws: SenderEntryError.self) { try SenderEntry(parsing: text) }
    }

    @Test func anIPv6FormWithAnEmbeddedIPv4StillParses() {
        #expect(IPAddress("::ffff:192.0.2.1") == .v6(0xffff_c000_0201))
    }

    @Test func namesReputationAndLists() throws {
        #expect(try SenderEntry(parsing: "mail.Example.com").kind == .hostname("mail.example.com"))
        #expect(try SenderEntry(parsing: ".example.com").kind == .domainSuffix("example.com"))
        #expect(try SenderEntry(parsing: "SBRS[-10.0:-3.0]").kind == .reputation(-10, -3))
        #expect(try SenderEntry(parsing: "sbrs[none]").kind == .noReputation)
        #expect(try SenderEntry(parsing: "SBO:12345").kind == .networkOwner(12345))
        #expect(try SenderEntry(parsing: "dnslist[zen.example.org]").kind == .dnsList("zen.example.org"))
    }

    @Test(arguments: [
        ("10.1.1.0/33", "CIDR"),
        ("10.1.1.300", "Invalid IP"),
        ("10.1.1.20-10", "Invalid IP"),
        ("SBRS[5:-5]", "lower one first"),
        ("SBRS[-11:0]", "between -10.0 and 10.0"),
        ("ALL", "last sender group"),
        ("bad_host!", "Invalid hostname"),
        ("2001:db8::/129", "CIDR"),
        ("", "empty"),
    ])
    func invalidEntriesSaySo(text: String, fragment: String) {
        #expect {
            try SenderEntry(parsing: text)
        } throws: { error in
            (error as? SenderEntryError)?.message.contains(fragment) == true
        }
    }

    @Test func recipientPatterns() throws {
        #expect(try RecipientPattern(parsing: "example.com").matches(local: "joe", domain: "EXAMPLE.com"))
        #expect(try !RecipientPattern(parsing: ".example.com").matches(local: "joe", domain: "example.com"))
        #expect(try RecipientPattern(parsing: ".example.com").matches(local: "joe", domain: "mx.example.com"))
        #expect(try RecipientPattern(parsing: "postmaster@").matches(local: "Postmaster", domain: "any.org"))
        #expect(try RecipientPattern(parsing: "joe@example.com").matches(local: "joe", domain: "example.com"))
        #expect(throws: SenderEntryError.self) { try RecipientPattern(parsing: "not an address") }
    }
}
