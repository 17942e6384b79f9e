import Testing
import PosternConfig
@testable import PosternPolicy

@Suite struct IPRangeMapTests {
    @Test func lowestRankWinsWhereRangesOverlap() {
        let map = IPRangeMap<UInt32>(ranges: [(10, 100, 5), (50, 60, 2), (55, 200, 9), (300, 300, 1)])
        #expect(map.lookup(9) == nil)
        #expect(map.lookup(10) == 5)
        #expect(map.lookup(49) == 5)
        #expect(map.lookup(50) == 2)
        #expect(map.lookup(60) == 2)
        #expect(map.lookup(61) == 5)
        #expect(map.lookup(100) == 5)
        #expect(map.lookup(101) == 9)
        #expect(map.lookup(200) == 9)
        #expect(map.lookup(201) == nil)
        #expect(map.lookup(300) == 1)
    }

    @Test func theWholeSpaceAndItsEnds() {
        let map = IPRangeMap<UInt32>(ranges: [(0, .max, 3), (.max, .max, 1)])
        #expect(map.lookup(0) == 3)
        #expect(map.lookup(.max) == 1)
        #expect(map.lookup(.max - 1) == 3)
    }

    /// Compared with a brute-force scan over random overlapping ranges.
    @Test func agreesWithBruteForce() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            var ranges: [(low: UInt32, high: UInt32, rank: Int32)] = []
            for rank in 0..<Int32.random(in: 1...40, using: &generator) {
                let a = UInt32.random(in: 0...500, using: &generator)
                let b = UInt32.random(in: 0...500, using: &generator)
                ranges.append((min(a, b), max(a, b), rank))
            }
            ranges.shuffle(using: &generator)
            let map = IPRangeMap(ranges: ranges)
            for address in UInt32(0)...510 {
                let expected = ranges.filter { $0.low <= address && address <= $0.high }.map(\.rank).min()
                #expect(map.lookup(address) == expected, "address \(address)")
            }
        }
    }
}

@Suite struct CompiledHostAccessTests {
    static func entry(_ text: String) -> SenderEntry { try! SenderEntry(parsing: text) }

    static func table(_ groups: [SenderGroup]) -> HostAccessTable {
        var table = FactoryDefaults.publicHostAccess
        table.senderGroups = groups + table.senderGroups
        var tlsOn = PolicyOverrides()
        tlsOn.tls = .preferred
        table.policies.append(MailFlowPolicy(name: "PARTNER", behavior: .accept, overrides: tlsOn))
        return table
    }

    static func match(_ table: HostAccessTable, _ address: String, dns: ReverseDNSResult = .notChecked,
                      reputation: Double? = nil) throws -> HATMatch {
        let hat = try CompiledHostAccess(table)
        switch hat.evaluate(PeerFacts(address: IPAddress(address)!, reverseDNS: dns, reputation: reputation)) {
        case .matched(let m): return m
        case .temporaryFailure(let group): throw TempFail(group: group)
        }
    }

    struct TempFail: Error { let group: String }

    @Test func factoryTableSendsUnscoredHostsToUnknownList() throws {
        let m = try Self.match(FactoryDefaults.publicHostAccess, "192.0.2.1")
        #expect(m.group == "UNKNOWNLIST")
        #expect(m.entry == "sbrs[none]")
        #expect(m.policy == "ACCEPTED")
        #expect(m.behavior == .accept)
    }

    @Test func reputationRangesMatchScores() throws {
        #expect(try Self.match(FactoryDefaults.publicHostAccess, "192.0.2.1", reputation: -5).group == "BLACKLIST")
        #expect(try Self.match(FactoryDefaults.publicHostAccess, "192.0.2.1", reputation: -2).group == "SUSPECTLIST")
        #expect(try Self.match(FactoryDefaults.publicHostAccess, "192.0.2.1", reputation: 4).group == "UNKNOWNLIST")
    }

    @Test func firstGroupInTableOrderWinsNotTheLongestPrefix() throws {
        let table = Self.table([
            SenderGroup(name: "WIDE", entries: [Self.entry("10.0.0.0/8")], action: .behavior(.reject)),
            SenderGroup(name: "NARROW", entries: [Self.entry("10.1.1.5")], action: .policy("PARTNER")),
        ])
        let m = try Self.match(table, "10.1.1.5")
        #expect(m.group == "WIDE")
        #expect(m.behavior == .reject)
    }

    @Test func partnerPolicyCarriesItsTLSLevel() throws {
        let table = Self.table([SenderGroup(name: "PARTNERS", entries: [Self.entry("10.1.1.10-20")],
                                            action: .policy("PARTNER"))])
        let m = try Self.match(table, "10.1.1.15")
        #expect(m.group == "PARTNERS")
        #expect(m.entry == "10.1.1.10-20")
        #expect(m.parameters.tls == .preferred)
        #expect(try Self.match(table, "10.1.1.21").group == "UNKNOWNLIST")
    }

    @Test func hostnamesNeedAVerifiedName() throws {
        let table = Self.table([SenderGroup(name: "BYNAME", entries: [Self.entry(".partner.example"),
                                                                     Self.entry("mx.exact.example")],
                                            action: .behavior(.relay))])
        #expect(try Self.match(table, "192.0.2.1", dns: .verified("a.b.partner.example")).group == "BYNAME")
        #expect(try Self.match(table, "192.0.2.1", dns: .verified("MX.Exact.Example.")).group == "BYNAME")
        #expect(try Self.match(table, "192.0.2.1", dns: .verified("partner.example")).group == "UNKNOWNLIST")
        #expect(try Self.match(table, "192.0.2.1", dns: .unverified("a.partner.example")).group == "UNKNOWNLIST")
    }

    @Test func aDNSFailureIsNotANoMatch() throws {
        let table = Self.table([SenderGroup(name: "BYNAME", entries: [Self.entry(".partner.example")],
                                            action: .behavior(.relay))])
        #expect(throws: TempFail.self) { try Self.match(table, "192.0.2.1", dns: .temporaryFailure) }
        // A group ranked before the name entries decides without DNS.
        let ipFirst = Self.table([
            SenderGroup(name: "BYIP", entries: [Self.entry("192.0.2.0/24")], action: .behavior(.accept)),
            SenderGroup(name: "BYNAME", entries: [Self.entry(".partner.example")], action: .behavior(.relay)),
        ])
        #expect(try Self.match(ipFirst, "192.0.2.1", dns: .temporaryFailure).group == "BYIP")
    }

    @Test func continueGroupsArePassedOver() throws {
        let table = Self.table([
            SenderGroup(name: "LOGONLY", entries: [Self.entry("10.0.0.0/8")], action: .behavior(.continue)),
            SenderGroup(name: "NEXT", entries: [Self.entry("10.1.0.0/16")], action: .behavior(.relay)),
        ])
        #expect(try Self.match(table, "10.1.2.3").group == "NEXT")
    }

    @Test func allIsLast() throws {
        var table = FactoryDefaults.publicHostAccess
        table.senderGroups = []
        let m = try Self.match(table, "198.51.100.1")
        #expect(m.group == nil)
        #expect(m.entry == "")
        #expect(m.policy == "ACCEPTED")
    }

    @Test func ipv6AndMappedIPv4() throws {
        let table = Self.table([
            SenderGroup(name: "V6", entries: [Self.entry("2001:db8::/32")], action: .behavior(.relay)),
            SenderGroup(name: "V4", entries: [Self.entry("192.0.2.1")], action: .behavior(.reject)),
        ])
        #expect(try Self.match(table, "2001:db8::25").group == "V6")
        #expect(try Self.match(table, "::ffff:192.0.2.1").group == "V4")
    }

    @Test func dnsListAndNetworkOwnerEntriesMatchNothingYet() throws {
        let table = Self.table([SenderGroup(name: "LISTED", entries: [Self.entry("dnslist[zen.example]"),
                                                                     Self.entry("SBO:42")],
                                            action: .behavior(.reject))])
        #expect(try Self.match(table, "192.0.2.1").group == "UNKNOWNLIST")
    }

    @Test func missingPolicyDoesNotCompile() {
        var table = FactoryDefaults.publicHostAccess
        table.senderGroups[0].action = .policy("NOPE")
        #expect(throws: ConfigProblems.self) { try CompiledHostAccess(table) }
    }
}

@Suite struct CompiledRecipientAccessTests {
    @Test func firstMatchThenAll() throws {
        let table = RecipientAccessTable(entries: [
            RecipientAccessEntry(pattern: try RecipientPattern(parsing: "blocked@example.com"), action: .reject),
            RecipientAccessEntry(pattern: try RecipientPattern(parsing: "example.com"), action: .accept),
            RecipientAccessEntry(pattern: try RecipientPattern(parsing: ".example.com"), action: .accept,
                                 response: SMTPResponse(code: 250, text: "sub ok")),
        ], all: .reject)
        let rat = CompiledRecipientAccess(table)
        #expect(rat.evaluate(local: "blocked", domain: "example.com").action == .reject)
        #expect(rat.evaluate(local: "joe", domain: "Example.COM").action == .accept)
        #expect(rat.evaluate(local: "joe", domain: "a.example.com").response?.text == "sub ok")
        #expect(rat.evaluate(local: "joe", domain: "other.org") == RATDecision(action: .reject, response: nil, entry: nil))
    }
}
