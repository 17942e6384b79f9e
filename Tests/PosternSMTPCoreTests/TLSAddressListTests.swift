import PosternConfig
import PosternPolicy
import Testing
@testable import PosternSMTPCore

/// "TLS is Mandatory for Address List" (issue 14 §6): under TLS Preferred, a sender on the
/// list is refused over plaintext and accepted over TLS; anyone else is accepted either way.
@Suite struct TLSAddressListTests {
    static let partners = CompiledAddressList(AddressList(name: "PARTNERS", entries: ["@partner.example", "ceo@"]))
    static let tls = SMTPSession.TLSInfo(protocolVersion: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384")

    @Test func aListedSenderInPlaintextIsRefusedWith530AndALogLine() {
        var d = Driver(tls: .preferred, tlsMandatory: TLSAddressListTests.partners)
        _ = d.send("EHLO client.example")
        #expect(d.send("MAIL FROM:<Anna@Partner.Example>") == [530])
        #expect(d.replies.last?.lines.first?.contains("try again using STARTTLS") == true)
        #expect(d.logs.last == "ICID 7 TLS was required for sender <Anna@Partner.Example> (address list PARTNERS) "
            + "but remote host did not initiate it")
        // Not a transaction: the client may STARTTLS and try again on this connection.
        #expect(d.send("MAIL FROM:<ceo@elsewhere.example>") == [530])
        // A DATA pipelined behind the refused MAIL is told what it lacks.
        #expect(d.send("DATA") == [503])
        #expect(d.replies.last?.lines.first == "5.5.1 Need MAIL before DATA")
        #expect(d.send("STARTTLS") == [220])
    }

    /// A client that loops on the refusal is disconnected, and logged once, not per attempt.
    @Test func aClientThatKeepsTryingInPlaintextIsDisconnected() {
        var d = Driver(tls: .preferred, tlsMandatory: TLSAddressListTests.partners)
        _ = d.send("EHLO client.example")
        for _ in 1..<SMTPSession.refusalLimit { #expect(d.send("MAIL FROM:<anna@partner.example>") == [530]) }
        #expect(d.send("MAIL FROM:<anna@partner.example>") == [421])
        #expect(d.logs.filter { $0.contains("TLS was required for sender") }.count == 1)
    }

    @Test func aListedSenderOverTLSIsAccepted() {
        var d = Driver(tls: .preferred, tlsMandatory: TLSAddressListTests.partners)
        _ = d.send("EHLO client.example")
        #expect(d.send("STARTTLS") == [220])
        d.apply(d.session.tlsEstablished(TLSAddressListTests.tls))
        _ = d.send("EHLO client.example")
        #expect(d.send("MAIL FROM:<anna@partner.example>") == [250])
    }

    @Test(arguments: ["someone@other.example", "anna@sub.partner.example", ""])
    func otherSendersAreAcceptedInPlaintext(sender: String) {
        var d = Driver(tls: .preferred, tlsMandatory: TLSAddressListTests.partners)
        _ = d.send("EHLO client.example")
        #expect(d.send("MAIL FROM:<\(sender)>") == [250])
    }
}

/// The matching alone: every entry form of the AsyncOS guide, case ignored.
@Suite struct AddressListMatchingTests {
    @Test(arguments: [
        ("user@example.com", "USER@Example.com", true), ("user@example.com", "user@sub.example.com", false),
        ("user@", "user@anywhere.example", true), ("user@", "other@anywhere.example", false),
        ("@example.com", "a@example.com", true), ("@example.com", "a@sub.example.com", false),
        ("@.example.com", "a@sub.example.com", true), ("@.example.com", "a@deep.sub.example.com", true),
        ("@.example.com", "a@example.com", false), ("@.example.com", "a@badexample.com", false),
        ("@[192.0.2.1]", "a@[192.0.2.1]", true), ("@[192.0.2.1]", "a@[192.0.2.2]", false),
        // A quoted local part is the same mailbox; an IPv6 literal matches however it is written.
        ("ceo@", "\"ceo\"@x.example", true), ("ceo@", "\"c\\eo\"@x.example", true), ("ceo@", "\"ceo \"@x.example", false),
        ("@[::1]", "a@[IPv6:::1]", true), ("@[IPv6:0::1]", "a@[IPv6:::1]", true), ("@[::1]", "a@[IPv6:::2]", false),
    ])
    func entryForms(entry: String, address: String, matches: Bool) throws {
        let pattern = try AddressPattern(parsing: entry)
        let at = address.lastIndex(of: "@")!
        let local = String(address[..<at]), domain = String(address[address.index(after: at)...])
        #expect(pattern.matches(local: local, domain: domain) == matches)
        let compiled = CompiledAddressList(AddressList(name: "L", entries: [entry]))
        #expect(compiled.contains(local: local, domain: domain) == matches)
    }

    @Test(arguments: ["", "example.com", "@", "a@b@c", "user@bad_domain", "@[999.1.1.1]", "x@[192.0.2.1]", "a b@c.example",
                      "u@.example.com"])
    func badEntriesAreRefused(entry: String) {
        #expect(throws: AddressPatternError.self) { try AddressPattern(parsing: entry) }
    }

    @Test func theNullSenderIsNeverOnAList() {
        let compiled = CompiledAddressList(AddressList(name: "L", entries: ["@example.com", "user@"]))
        #expect(!compiled.contains(local: "", domain: ""))
    }
}
