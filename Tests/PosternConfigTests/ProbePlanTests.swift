import Foundation
import Testing
@testable import PosternConfig
import PosternPolicy

/// How `posternd --probe` serves a configuration, and the sentences of a dry run.
@Suite struct ProbePlanTests {
    @Test func everyGroupGetsItsOwnLoopbackSourceAndTheEmptyOneIsSkipped() throws {
        let factory = FactoryDefaults.configuration
        let plan = ProbePlan(factory, ports: factory.listeners.map { _ in 40000 }, landsIn: CompiledHostAccess.landing)
        let served = plan.configuration.listeners[0]
        #expect(served.port == 40000)
        #expect(plan.configuration.interface(named: served.interface)?.address.isLoopback == true)
        let groups = plan.skeleton.listeners[0].groups
        #expect(groups.map(\.name) == factory.listeners[0].hostAccess.senderGroups.map(\.name) + ["ALL"])
        #expect(groups[0].name == "WHITELIST" && groups[0].skipped == "the group has no entries" && groups[0].source == nil)
        // The others each have one loopback address, and the served HAT holds exactly it.
        let sources = groups.dropFirst().compactMap(\.source)
        #expect(sources.count == groups.count - 1 && Set(sources).count == sources.count)
        for (g, group) in served.hostAccess.senderGroups.enumerated() where !group.entries.isEmpty {
            #expect(group.entries.map(\.text) == [groups[g].source!])
        }
        #expect(plan.targets.count == sources.count)
        #expect(plan.targets.allSatisfy { $0.recipient == "postmaster@example.com" })  // the RAT accepts example.com
        #expect(groups[1].action == "$BLOCKED" && groups[1].behavior == "Reject")
        #expect(plan.configuration.listenerSettings.reverseDNSTimeout == 0)
    }

    @Test func groupsAfterOneThatMatchesEverythingAreNotProbed() throws {
        var configuration = FactoryDefaults.configuration
        configuration.listeners[0].hostAccess.senderGroups[1].entries = [try SenderEntry(parsing: "0.0.0.0/0")]
        let plan = ProbePlan(configuration, ports: [40000], landsIn: CompiledHostAccess.landing)
        let groups = plan.skeleton.listeners[0].groups
        #expect(groups[1].source != nil)
        #expect(groups[2].skipped == "an earlier group matches every address")
        #expect(groups.last?.skipped == "an earlier group matches every address")
    }

    static func group(tls: String, mail: String, offered: Bool = true, handshake: String? = nil) -> ProbeGroup {
        var g = ProbeGroup(name: "PARTNERS", entries: "10.1.1.0/24", action: "$PARTNER", behavior: "Accept", tls: tls)
        g.source = "127.1.0.1"
        var plain = ProbeConnection()
        plain.startTLSOffered = offered
        plain.mailReply = mail
        g.plaintext = plain
        var tlsClient = ProbeConnection()
        tlsClient.startTLSOffered = offered
        tlsClient.handshakeFailure = handshake
        tlsClient.tlsProtocol = handshake == nil && offered ? "TLSv1.3" : nil
        g.tlsClient = tlsClient
        return g
    }

    static func report(_ group: ProbeGroup) -> ProbeReport {
        ProbeReport(listeners: [ProbeListener(name: "InboundMail", address: "192.0.2.1", port: 25, groups: [group])])
    }

    @Test func preferredToRequiredSaysPlaintextSendersGet530() {
        let before = ProbePlanTests.report(ProbePlanTests.group(tls: "Preferred", mail: "250 sender ok"))
        let after = ProbePlanTests.report(ProbePlanTests.group(tls: "Required", mail: "530 5.7.0 Must issue a STARTTLS command first"))
        #expect(after.changes(from: before) == [
            "InboundMail PARTNERS (10.1.1.0/24): TLS Preferred → Required: plaintext senders in this group will now get 530.",
        ])
        #expect(before.changes(from: before).isEmpty)
    }

    @Test func requiredVerifySaysClientsWithoutACertificateFail() {
        let before = ProbePlanTests.report(ProbePlanTests.group(tls: "Required", mail: "530 5.7.0 Must issue a STARTTLS command first"))
        let after = ProbePlanTests.report(ProbePlanTests.group(tls: "Required - Verify", mail: "530 5.7.0 Must issue a STARTTLS command first",
                                                               handshake: "peer did not return a certificate"))
        #expect(after.changes(from: before) == [
            "InboundMail PARTNERS (10.1.1.0/24): TLS Required → Required - Verify: senders without a client "
                + "certificate will now fail the TLS handshake; senders presenting a client certificate that does not "
                + "verify will now be refused.",
        ])
    }

    @Test func aTLSChangeInAGroupThatIsRefusedSaysNoSenderMeetsIt() {
        func refused(_ tls: String) -> ProbeGroup {
            var g = ProbePlanTests.group(tls: tls, mail: "554 Access denied", offered: false)
            g.action = "$BLOCKED"
            g.behavior = "Reject"
            g.tlsClient?.mailReply = "554 Access denied"
            return g
        }
        let after = ProbePlanTests.report(refused("Required"))
        #expect(after.changes(from: ProbePlanTests.report(refused("Preferred"))) == [
            "InboundMail PARTNERS (10.1.1.0/24): TLS Preferred → Required: no sender meets it, the group's policy "
                + "refuses them (Reject).",
        ])
    }

    @Test func aFailedHandshakeWithoutVerifyIsNotBlamedOnTheMissingCertificate() {
        let before = ProbePlanTests.report(ProbePlanTests.group(tls: "No", mail: "250 ok", offered: false))
        let after = ProbePlanTests.report(ProbePlanTests.group(tls: "Preferred", mail: "250 ok",
                                                               handshake: "tlsv1 alert protocol version"))
        #expect(after.changes(from: before) == [
            "InboundMail PARTNERS (10.1.1.0/24): TLS No → Preferred: STARTTLS is now offered; the TLS handshake "
                + "fails (tlsv1 alert protocol version): senders that start TLS cannot complete it.",
        ])
    }

    /// Every change of TLS level says what it does to someone; none is a bare "X → Y.".
    @Test(arguments: [("No", "Preferred"), ("Preferred", "Required"), ("Required", "Preferred"), ("No", "Required"),
                      ("Required", "No"), ("Preferred", "No"), ("Preferred", "Preferred - Verify"),
                      ("Preferred - Verify", "Preferred"), ("Required", "Required - Verify"),
                      ("Required - Verify", "Required"), ("Preferred - Verify", "Required - Verify")])
    func everyTLSTransitionSaysWhatChangesForWhom(from: String, to: String) {
        func group(_ tls: String) -> ProbeGroup {
            let required = tls.hasPrefix("Required")
            return ProbePlanTests.group(tls: tls, mail: required ? "530 5.7.0 Must issue a STARTTLS command first" : "250 ok",
                                        offered: tls != "No",
                                        handshake: tls == "Required - Verify" ? "peer did not return a certificate" : nil)
        }
        let lines = ProbePlanTests.report(group(to)).changes(from: ProbePlanTests.report(group(from)))
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("InboundMail PARTNERS (10.1.1.0/24): TLS \(from) → \(to): ") == true, "\(lines)")
    }

    @Test func turningTLSOffSaysMailTravelsInTheClear() {
        let before = ProbePlanTests.report(ProbePlanTests.group(tls: "Preferred", mail: "250 ok"))
        let after = ProbePlanTests.report(ProbePlanTests.group(tls: "No", mail: "250 ok", offered: false))
        #expect(after.changes(from: before) == [
            "InboundMail PARTNERS (10.1.1.0/24): TLS Preferred → No: STARTTLS is no longer offered: mail from this "
                + "group will travel in the clear.",
        ])
    }

    @Test func expiringCertificatesAreWarnedAbout() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        var group = ProbePlanTests.group(tls: "Preferred", mail: "250 ok")
        group.tlsClient?.certificateSubject = "CN=mail.example.com"
        group.tlsClient?.certificateNotAfter = now.addingTimeInterval(10 * 86_400 + 60)
        #expect(ProbePlanTests.report(group).certificateWarnings(now: now) == [
            "InboundMail: the certificate CN=mail.example.com expires in 10 days (2027-01-25).",
        ])
        group.tlsClient?.certificateNotAfter = now.addingTimeInterval(-86_400)
        #expect(ProbePlanTests.report(group).certificateWarnings(now: now).first?.contains("expired on") == true)
        group.tlsClient?.certificateNotAfter = now.addingTimeInterval(90 * 86_400)
        #expect(ProbePlanTests.report(group).certificateWarnings(now: now).isEmpty)
    }
}
