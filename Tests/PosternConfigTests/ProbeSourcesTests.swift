import Testing
@testable import PosternConfig
import PosternPolicy

/// The loopback source that stands for each sender group (dry run and selftest alike), with the
/// engine's compiled HAT saying where an address lands.
@Suite struct ProbeSourcesTests {
    static func choose(_ hat: HostAccessTable, _ family: ProbeSources.Family = .v4) -> [ProbeSources.Choice] {
        ProbeSources.choose(hat, family: family, landsIn: CompiledHostAccess.landing(hat))
    }

    static func group(_ name: String, _ entries: [String], _ action: SenderGroupAction = .behavior(.accept)) throws
        -> SenderGroup {
        SenderGroup(name: name, entries: try entries.map { try SenderEntry(parsing: $0) }, action: action)
    }

    @Test func theFactoryTableOnLoopbackMeetsTheGroupWithoutAReputation() {
        let hat = FactoryDefaults.configuration.listeners[0].hostAccess
        let choices = ProbeSourcesTests.choose(hat)
        #expect(hat.senderGroups.map(\.name) == ["WHITELIST", "BLACKLIST", "SUSPECTLIST", "UNKNOWNLIST"])
        #expect(choices[0] == .skipped(ProbeSources.noEntries))
        // SBRS ranges: a loopback peer has no score, so only SBRS[none] (UNKNOWNLIST) holds it.
        #expect(choices[1].skipped?.hasPrefix("no loopback address falls in it") == true)
        #expect(choices[2].skipped?.hasPrefix("no loopback address falls in it") == true)
        #expect(choices[3] == .source(IPAddress("127.0.0.1")!))
        #expect(choices[4] == .skipped("every loopback address falls in an earlier group"))
    }

    @Test func eachGroupGetsAnAddressThatLandsInItAndNotInAnEarlierOne() throws {
        var hat = FactoryDefaults.configuration.listeners[0].hostAccess
        hat.senderGroups = [
            try ProbeSourcesTests.group("LOCAL", ["127.0.0.0/24"], .behavior(.relay)),
            try ProbeSourcesTests.group("WIDER", ["127.0.0.0/16"]),  // 127.0.0.x is LOCAL's: 127.0.1.0 is its
            try ProbeSourcesTests.group("SHADOWED", ["127.0.0.5"]),
            try ProbeSourcesTests.group("PARTNERS", ["10.1.1.0/24", "mail.example.com"]),
            try ProbeSourcesTests.group("PASS", ["127.9.0.0/16"], .behavior(.continue)),
            try ProbeSourcesTests.group("BAD", ["127.3.0.1-127.3.0.9"], .behavior(.reject)),
        ]
        let choices = ProbeSourcesTests.choose(hat)
        #expect(choices.map(\.source) == [IPAddress("127.0.0.1"), IPAddress("127.0.1.0"), nil, nil, nil,
                                          IPAddress("127.3.0.1"), IPAddress("127.2.0.1")])
        #expect(choices[2] == .skipped("its loopback addresses fall in an earlier group"))
        #expect(choices[3].skipped?.hasPrefix("no loopback address falls in it (127.0.0.0/8 has no reputation") == true)
        #expect(choices[4] == .skipped(ProbeSources.continues))
    }

    @Test func onIPv6OnlyTheLoopbackAddressCanSpeak() throws {
        var hat = FactoryDefaults.configuration.listeners[0].hostAccess
        hat.senderGroups = [try ProbeSourcesTests.group("V6", ["2001:db8::/32"]),
                            try ProbeSourcesTests.group("LOOP", ["::1"]),
                            try ProbeSourcesTests.group("V4", ["127.0.0.0/8"])]
        let choices = ProbeSourcesTests.choose(hat, .v6)
        #expect(choices[0].skipped?.hasPrefix("no loopback address falls in it (::1") == true)
        #expect(choices[1] == .source(IPAddress("::1")!))
        #expect(choices[2].source == nil)
        #expect(choices[3] == .skipped("every loopback address falls in an earlier group"))
    }

    @Test func nothingAfterAGroupThatMatchesEveryAddress() throws {
        var hat = FactoryDefaults.configuration.listeners[0].hostAccess
        hat.senderGroups = [try ProbeSourcesTests.group("EVERYONE", ["0.0.0.0/0"]),
                            try ProbeSourcesTests.group("LATER", ["127.0.0.2"])]
        #expect(ProbeSourcesTests.choose(hat) == [.source(IPAddress("127.0.0.1")!), .skipped(ProbeSources.afterMatchAll),
                                                  .skipped(ProbeSources.afterMatchAll)])
    }
}
