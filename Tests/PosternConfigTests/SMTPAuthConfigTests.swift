import Foundation
import Testing
@testable import PosternConfig

@Suite struct SMTPAuthConfigTests {
    private func ldap(_ url: String = "ldap://127.0.0.1:3389", query: String = "(uid={u})") -> SMTPAuthProfile {
        SMTPAuthProfile(name: "corp", method: .ldap(LDAPAuthSettings(url: url, baseDN: "dc=example,dc=com", query: query)))
    }

    @Test(arguments: [
        ("plain", "alice", "(uid=alice)"),
        ("wildcard", "*", "(uid=\\2a)"),
        ("filter injection", "x)(uid=*", "(uid=x\\29\\28uid=\\2a)"),
        ("backslash", "a\\b", "(uid=a\\5cb)"),
        ("NUL", "a\u{0}b", "(uid=a\\00b)"),
    ])
    func userNamesAreEscapedInTheFilter(_ label: String, _ user: String, _ filter: String) {
        let settings = LDAPAuthSettings(url: "ldap://h", baseDN: "dc=x")
        #expect(settings.filter(forUser: user) == filter, "\(label)")
    }

    @Test func aPolicyAskingForAuthNeedsAProfileOnItsListener() {
        var config = FactoryDefaults.configuration
        config.listeners[0].hostAccess.defaultParameters.smtpAuth = .required
        #expect(config.validate().map(\.path) == ["listeners[InboundMail].hostAccess.defaultParameters.smtpAuth"])
        config.smtpAuthSettings.profiles = [ldap()]
        config.listeners[0].smtpAuthProfile = "corp"
        #expect(config.validate() == [])
        config.listeners[0].smtpAuthProfile = "gone"
        #expect(config.validate().map(\.path) == ["listeners[InboundMail].smtpAuthProfile"])
    }

    @Test func aNamedPolicyAskingForAuthIsFoundToo() throws {
        var config = FactoryDefaults.configuration
        let index = try #require(config.listeners[0].hostAccess.policies.indices.first)
        config.listeners[0].hostAccess.policies[index].overrides.smtpAuth = .preferred
        let name = config.listeners[0].hostAccess.policies[index].name
        #expect(config.validate().map(\.path) == ["listeners[InboundMail].hostAccess.policies[\(name)].smtpAuth"])
    }

    @Test(arguments: [
        ("ldap with port", "ldap://dir.example.com:3389", true),
        ("ldaps without port", "ldaps://10.0.0.1", true),
        ("IPv6", "ldap://[::1]:389", true),
        ("http", "http://dir.example.com", false),
        ("a path", "ldap://dir.example.com/dc=x", false),
        ("no host", "ldap://", false),
        ("bad port", "ldap://h:99999", false),
    ])
    func serverURLs(_ label: String, _ url: String, _ valid: Bool) {
        var config = FactoryDefaults.configuration
        config.smtpAuthSettings.profiles = [ldap(url)]
        #expect(config.validate().isEmpty == valid, "\(label)")
    }

    @Test func queriesBindsAndLimitsAreChecked() {
        var config = FactoryDefaults.configuration
        config.smtpAuthSettings.profiles = [ldap(query: "(uid=alice)")]
        #expect(config.validate().map(\.path) == ["smtpAuth.profiles[corp].ldap.query"])
        config.smtpAuthSettings.profiles = [ldap(query: "uid={u}")]
        #expect(config.validate().map(\.path) == ["smtpAuth.profiles[corp].ldap.query"])
        // Two filters side by side are not one filter (RFC 4515 §3), though the parentheses pair up.
        for query in ["(uid={u})(cn=*)", "(uid={u}))(|(cn=*)", "(&(uid={u}))(objectClass=*)"] {
            config.smtpAuthSettings.profiles = [ldap(query: query)]
            #expect(config.validate().map(\.path) == ["smtpAuth.profiles[corp].ldap.query"], "\(query)")
        }
        config.smtpAuthSettings.profiles = [ldap(query: "(&(objectClass=person)(|(uid={u})(mail={u})))")]
        #expect(config.validate().isEmpty)
        var settings = LDAPAuthSettings(url: "ldap://h", bindDN: "cn=admin,dc=x", baseDN: "dc=x")
        config.smtpAuthSettings.profiles = [SMTPAuthProfile(name: "corp", method: .ldap(settings))]
        #expect(config.validate().map(\.path) == ["smtpAuth.profiles[corp].ldap.bindDN"])
        settings.bindPasswordFile = "../etc/shadow"
        config.smtpAuthSettings.profiles = [SMTPAuthProfile(name: "corp", method: .ldap(settings))]
        #expect(config.validate().map(\.path) == ["smtpAuth.profiles[corp].ldap.bindPasswordFile"])
        config.smtpAuthSettings.profiles = [SMTPAuthProfile(name: "up", method: .forward(ForwardAuthSettings(host: "bad host")))]
        config.smtpAuthSettings.maxFailures = 0
        #expect(Set(config.validate().map(\.path)) == ["smtpAuth.profiles[up].forward.host", "smtpAuth.maxFailures"])
    }

    @Test func profilesRoundTripAndOldFilesStillRead() throws {
        var config = FactoryDefaults.configuration
        let before = try JSONEncoder().encode(config)
        #expect(!String(decoding: before, as: UTF8.self).contains("\"smtpAuth\":{"))
        config.smtpAuthSettings.profiles = [ldap(), SMTPAuthProfile(name: "up", method: .forward(.init(host: "mx.example")))]
        config.listeners[0].smtpAuthProfile = "corp"
        let data = try JSONEncoder().encode(config)
        #expect(try TreeDecoder.decode(Configuration.self, from: data) == config)
        #expect(try TreeDecoder.decode(Configuration.self, from: before).smtpAuth == nil)
    }
}
