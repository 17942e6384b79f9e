import Foundation
import Testing
@testable import PosternConfig

@Suite struct FactoryConfigurationTests {
    @Test func factoryConfigurationIsValid() {
        #expect(FactoryDefaults.configuration.validate() == [])
    }

    @Test func factoryHasOnePublicListenerOnLoopback2525WithTLSOff() throws {
        let config = FactoryDefaults.configuration
        let listener = try #require(config.listeners.first)
        #expect(config.listeners.count == 1)
        #expect(listener.name == "InboundMail")
        #expect(listener.type == .public)
        #expect(listener.port == 2525)
        #expect(config.interface(named: listener.interface)?.address.isLoopback == true)
        #expect(listener.hostAccess.defaultParameters.tls == .no)
        #expect(listener.hostAccess.policies.allSatisfy { $0.overrides.tls ?? .no == .no })
        #expect(listener.hostAccess.senderGroups.map(\.name) == ["WHITELIST", "BLACKLIST", "SUSPECTLIST", "UNKNOWNLIST"])
        #expect(listener.hostAccess.all == .policy("ACCEPTED"))
    }

    @Test func privateListenerRelaysItsHostsAndBlocksTheRest() throws {
        let hosts = [try SenderEntry(parsing: "10.0.0.0/8")]
        let listener = FactoryDefaults.privateListener(name: "OutboundMail", interface: "Loopback", port: 2526,
                                                       relayFor: hosts)
        #expect(listener.hostAccess.senderGroups.map(\.name) == ["RELAYLIST"])
        #expect(listener.hostAccess.senderGroups[0].action == .policy("RELAYED"))
        #expect(listener.hostAccess.all == .policy("BLOCKED"))
        #expect(listener.hostAccess.policy(named: "RELAYED")?.behavior == .relay)
        #expect(listener.recipientAccess == nil)
    }
}

@Suite struct CanonicalJSONTests {
    @Test func roundTripIsByteIdentical() throws {
        let data = try CanonicalJSON.encode(FactoryDefaults.configuration)
        let decoded = try CanonicalJSON.decode(Configuration.self, from: data)
        #expect(decoded == FactoryDefaults.configuration)
        #expect(try CanonicalJSON.encode(decoded) == data)
    }

    @Test func keysAreSortedAndSchemaIsWritten() throws {
        let text = String(decoding: try CanonicalJSON.encode(FactoryDefaults.configuration), as: UTF8.self)
        #expect(text.contains("\"schema\" : 1"))
        let certificates = try #require(text.range(of: "\"certificates\""))
        let listeners = try #require(text.range(of: "\"listeners\""))
        #expect(certificates.lowerBound < listeners.lowerBound)
    }

    @Test func aMalformedEntryIsReportedWithANamedPath() throws {
        var text = String(decoding: try CanonicalJSON.encode(FactoryDefaults.configuration), as: UTF8.self)
        text = text.replacing("\"SBRS[-3.0:-1.0]\"", with: "\"10.1.1.0/33\"")
        #expect(throws: ConfigProblems.self) { try CanonicalJSON.decode(Configuration.self, from: Data(text.utf8)) }
        do {
            _ = try CanonicalJSON.decode(Configuration.self, from: Data(text.utf8))
        } catch {
            let problem = try #require(error.problems.first)
            #expect(problem.path == "listeners[InboundMail].hostAccess.senderGroups[SUSPECTLIST].entries[0]")
            #expect(problem.message.contains("CIDR"))
        }
    }

    @Test func notJSONIsSaidPlainly() {
        do {
            _ = try CanonicalJSON.decode(Configuration.self, from: Data("{ nope".utf8))
            Issue.record("decoded garbage")
        } catch {
            #expect(error.description.contains("not valid JSON"))
        }
    }
}

@Suite struct ValidationTests {
    static func problems(_ change: (inout Configuration) -> Void) -> [ConfigProblem] {
        var config = FactoryDefaults.configuration
        change(&config)
        return config.validate()
    }

    @Test func duplicateListenerNames() {
        let found = Self.problems { c in
            var second = c.listeners[0]
            second.port = 2526
            c.listeners.append(second)
        }
        #expect(found.contains { $0.path == "listeners[InboundMail]" && $0.message.contains("more than one listener") })
    }

    @Test func portClashOnOneInterface() {
        let found = Self.problems { c in
            var second = c.listeners[0]
            second.name = "Second"
            c.listeners.append(second)
        }
        #expect(found.contains { $0.path == "listeners[Second].port" && $0.message.contains("already used by listener InboundMail") })
    }

    @Test func senderGroupPointingAtMissingPolicy() {
        let found = Self.problems { c in c.listeners[0].hostAccess.senderGroups[0].action = .policy("GOLD") }
        #expect(found == [ConfigProblem(path: "listeners[InboundMail].hostAccess.senderGroups[WHITELIST]",
                                        message: "It refers to the policy $GOLD, which is not defined.")])
    }

    @Test func everyProblemIsListedAtOnce() {
        let found = Self.problems { c in
            c.hostname = "not a host"
            c.listeners[0].port = 70000
            c.listeners[0].interface = "Nowhere"
            c.ssl.inbound.ciphers = " "
        }
        #expect(Set(found.map(\.path)) == ["hostname", "listeners[InboundMail].port", "listeners[InboundMail].interface",
                                          "ssl.inbound.ciphers"])
    }

    @Test func sslv3IsRefusedWithAReason() {
        let found = Self.problems { c in c.ssl.inbound.methods = TLSMethods([.sslv3, .tlsv1_2]) }
        #expect(found.count == 1)
        #expect(found[0].path == "ssl.inbound.methods")
        #expect(found[0].message.contains("RFC 7568"))
    }

    @Test func policyParametersOutOfRange() {
        let found = Self.problems { c in
            c.listeners[0].hostAccess.defaultParameters.maxRecipientsPerMessage = 0
            c.listeners[0].hostAccess.defaultParameters.acceptResponse = SMTPResponse(code: 554)
        }
        #expect(found.map(\.path).sorted() == [
            "listeners[InboundMail].hostAccess.defaultParameters.acceptResponse.code",
            "listeners[InboundMail].hostAccess.defaultParameters.maxRecipientsPerMessage",
        ])
    }
}

@Suite struct TLSMethodsTests {
    @Test(arguments: [
        ("tlsv1.2/tlsv1.3", [TLSProtocolVersion.tlsv1_2, .tlsv1_3]),
        ("TLSv1.3/tlsv1_2", [.tlsv1_2, .tlsv1_3]),
        ("tlsv1.0/tlsv1.1", [.tlsv1_0, .tlsv1_1]),
        ("sslv3", [.sslv3]),
    ])
    func parses(text: String, versions: [TLSProtocolVersion]) {
        #expect(TLSMethods(text: text)?.versions == versions)
    }

    @Test func rejectsNonsense() {
        #expect(TLSMethods(text: "tlsv2") == nil)
        #expect(TLSMethods(text: "") == nil)
    }

    @Test func printsSlashSeparated() {
        #expect(TLSMethods([.tlsv1_3, .tlsv1_2]).description == "tlsv1.2/tlsv1.3")
    }
}

@Suite struct DiffTests {
    @Test func tlsChangeReadsAsAPathOfNames() {
        var new = FactoryDefaults.configuration
        new.listeners[0].hostAccess.defaultParameters.tls = .required
        let changes = ConfigDiff.changes(from: FactoryDefaults.configuration, to: new)
        #expect(changes == [ConfigChange(path: ["listeners", "InboundMail", "hostAccess", "defaultParameters", "tls"],
                                         kind: .changed(from: .string("no"), to: .string("required")))])
        #expect(ChangeWords.render(changes) == "Listener InboundMail > HAT > Default policy > Use TLS: No -> Required")
    }

    @Test func addedSenderGroupIsOneAddition() throws {
        var new = FactoryDefaults.configuration
        new.listeners[0].hostAccess.senderGroups.insert(
            SenderGroup(name: "PARTNERS", entries: [try SenderEntry(parsing: "10.1.1.0/24")], action: .policy("TRUSTED")),
            at: 0)
        let changes = ConfigDiff.changes(from: FactoryDefaults.configuration, to: new)
        #expect(changes.count == 1)
        #expect(changes[0].path == ["listeners", "InboundMail", "hostAccess", "senderGroups", "PARTNERS"])
        if case .added = changes[0].kind {} else { Issue.record("expected an addition, got \(changes[0].kind)") }
    }

    @Test func identicalConfigurationsHaveNoChanges() {
        #expect(ConfigDiff.changes(from: FactoryDefaults.configuration, to: FactoryDefaults.configuration).isEmpty)
    }
}

@Suite struct WebInterfaceConfigurationTests {
    @Test func theFactoryLoopbackServesHTTPSOn8443() {
        let configuration = FactoryDefaults.configuration
        #expect(configuration.interfaces[0].httpsPort == 8443)
        #expect(configuration.validate().isEmpty)
    }

    @Test func webPortsAreChecked() {
        var configuration = FactoryDefaults.configuration
        configuration.interfaces[0].httpsPort = FactoryDefaults.inboundPort
        configuration.interfaces[0].httpPort = 70000
        configuration.interfaces[0].certificate = "Missing"
        let paths = configuration.validate().map(\.path)
        #expect(paths.contains("interfaces[Loopback].httpsPort"))
        #expect(paths.contains("interfaces[Loopback].httpPort"))
        #expect(paths.contains("interfaces[Loopback].certificate"))
        configuration = FactoryDefaults.configuration
        configuration.interfaces[0].httpsPort = nil
        configuration.interfaces[0].httpPort = 8080
        #expect(configuration.validate().map(\.message).contains { $0.contains("enable HTTPS") })
    }
}
