import Foundation
import NIOCore
import NIOPosix
import PosternConfig
import PosternPolicy
import PosternRuntime
import PosternSMTPCore
import PosternStore
import PosternTLS

/// `posternd --selftest`: checks the live listeners of the committed configuration from
/// 127.0.0.1 with the delivery client, as an outside auditor would, against RFC 3207 and the
/// policy the HAT gives that address.
public enum SelfTest {
    public static func run(home: Home) -> SelfTestReport {
        var report = SelfTestReport()
        let configuration: Configuration
        let compiled: CompiledConfiguration
        do {
            configuration = try ConfigStore(home: home).load().configuration
            compiled = try CompiledConfiguration(configuration, home: home)
        } catch {
            report.problems = ["the committed configuration cannot be loaded: \(error)"]
            return report
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let source = IPAddress("127.0.0.1")!
        for listener in configuration.listeners {
            guard let interface = configuration.interface(named: listener.interface) else { continue }
            // A wildcard address is reached on loopback; any other is one of this host's own.
            let address = interface.address.value == 0 ? (interface.address.isIPv4 ? "127.0.0.1" : "::1")
                : interface.address.description
            var entry = SelfTestReport.Listener(name: listener.name, address: interface.address.description,
                                                port: listener.port, group: "?", policy: "?", tls: "?")
            guard let hat = try? CompiledHostAccess(listener.hostAccess),
                case .matched(let match) = hat.evaluate(PeerFacts(address: source, reverseDNS: .unverified(nil)))
            else {
                report.problems.append("\(listener.name): the HAT gives 127.0.0.1 no policy")
                continue
            }
            entry.group = match.group ?? "ALL"
            entry.policy = match.policy.map { "$" + $0 } ?? match.behavior.rawValue
            entry.tls = match.parameters.tls.label
            let recipient = ProbePlan.recipient(listener.recipientAccess, hostname: interface.hostname)
            func connect(_ level: SMTPClientSession.TLSLevelPolicy, pipelining: String? = nil,
                         first: String? = nil) -> ProbeConnection {
                let future = Prober.probe(from: nil, to: address, port: listener.port, recipient: recipient, level: level,
                                          hostname: interface.hostname, heloName: "selftest.\(configuration.hostname)",
                                          tls: compiled.outboundTLS, group: group, pipelineBehindSTARTTLS: pipelining,
                                          firstCommandInsideTLS: first)
                return (try? future.wait()) ?? ProbeConnection()
            }
            guard match.behavior == .accept || match.behavior == .relay else {
                entry.checks = [SelfTestReport.Check(
                    "Policy lets 127.0.0.1 in", "-", passed: false,
                    detail: "\(entry.policy) is \(match.behavior.label): nothing after the greeting can be checked from here")]
                report.listeners.append(entry)
                continue
            }
            let plain = connect(.no)
            let tls = connect(.preferred)
            entry.checks = SelfTestReport.checks(level: match.parameters.tls, plain: plain, tls: tls,
                                                 pipelined: connect(.preferred, pipelining: "HELP"),
                                                 reset: connect(.preferred, first: "MAIL FROM:<>"))
            // Where a client without a certificate cannot finish a handshake (-Verify), no
            // version can be told from another.
            if plain.startTLSOffered && plain.refused == nil && tls.handshakeFailure == nil {
                // One handshake per protocol version, then per TLS 1.3 suite, with a client that
                // offers only it.
                func handshakes(_ methods: [TLSProtocolVersion], suites: String, ciphers: String = "ALL:@SECLEVEL=0")
                    -> Bool {
                    let settings = SSLServiceSettings(methods: TLSMethods(methods), ciphers: ciphers, tls13Suites: suites)
                    guard let only = try? TLSContext(role: .client, settings: settings, identity: nil) else { return false }
                    let future = Prober.probe(from: nil, to: address, port: listener.port, recipient: recipient,
                                              level: .preferred, hostname: interface.hostname,
                                              heloName: "selftest.\(configuration.hostname)", tls: only, group: group)
                    return (try? future.wait())?.tlsProtocol != nil
                }
                let versions = [TLSProtocolVersion.tlsv1_0, .tlsv1_1, .tlsv1_2, .tlsv1_3].filter {
                    handshakes([$0], suites: configuration.ssl.outbound.tls13Suites)
                }
                entry.checks.append(SelfTestReport.protocolCheck(accepted: versions,
                                                                 configured: configuration.ssl.inbound.methods))
                if versions.contains(.tlsv1_2) {
                    let candidates = ((try? CipherList.expand("ALL:COMPLEMENTOFALL:@SECLEVEL=0")) ?? [])
                        .filter { $0.minimumProtocol != "TLSv1.3" }
                    let accepted = candidates.filter {
                        handshakes([.tlsv1_2], suites: configuration.ssl.outbound.tls13Suites, ciphers: $0.name + ":@SECLEVEL=0")
                    }
                    let configured = ((try? CipherList.expand(configuration.ssl.inbound.ciphers,
                                                              methods: configuration.ssl.inbound.methods,
                                                              supportedOnly: true)) ?? [])
                        .filter { $0.minimumProtocol != "TLSv1.3" }
                    entry.checks.append(SelfTestReport.cipherCheck(accepted: accepted.map { ($0.name, $0.line) },
                                                                   configured: configured.map { ($0.name, $0.line) }))
                }
                if versions.contains(.tlsv1_3) {
                    let suites = SelfTestReport.tls13Suites.filter { handshakes([.tlsv1_3], suites: $0) }
                    entry.checks.append(SelfTestReport.suiteCheck(accepted: suites,
                                                                  configured: configuration.ssl.inbound.tls13Suites))
                }
            }
            if let check = resumptionCheck(hat: hat, address: address, port: listener.port, recipient: recipient,
                                           hostname: interface.hostname, heloName: "selftest.\(configuration.hostname)",
                                           tls: compiled.outboundTLS, group: group) {
                entry.checks.append(check)
            }
            report.listeners.append(entry)
        }
        return report
    }

    /// Loopback sources the selftest may speak from: 127.0.0.1 to 127.0.0.16.
    static let loopbackSources = (1...16).map { "127.0.0.\($0)" }

    /// When one loopback source meets a policy with TLS and no certificate requirement and
    /// another meets a -Verify policy, a session made by the first is offered by the second:
    /// it must not resume (DESIGN.md: resumption never crosses a verification requirement).
    static func resumptionCheck(hat: CompiledHostAccess, address: String, port: Int, recipient: String, hostname: String,
                                heloName: String, tls: TLSContext, group: any EventLoopGroup) -> SelfTestReport.Check? {
        func level(_ source: String) -> TLSLevel? {
            guard case .matched(let match) = hat.evaluate(PeerFacts(address: IPAddress(source)!, reverseDNS: .unverified(nil))),
                match.behavior == .accept || match.behavior == .relay
            else { return nil }
            return match.parameters.tls
        }
        let levels = loopbackSources.map { ($0, level($0)) }
        guard let open = levels.first(where: { $0.1 == .preferred || $0.1 == .required }),
            let verified = levels.first(where: { $0.1 == .requiredVerify || $0.1 == .preferredVerify })
        else { return nil }
        func converse(_ source: String, resuming: TLSSession?) -> ConnectionReport? {
            try? Prober.converse(from: source, to: address, port: port, recipient: recipient, level: .preferred,
                                 hostname: hostname, heloName: heloName, tls: tls, group: group, resuming: resuming).wait()
        }
        let name = "TLS session resumption does not cross a -Verify boundary"
        let clause = "RFC 3207 §4.1, RFC 8446 §2.2"
        guard let first = converse(open.0, resuming: nil), let ticket = first.tlsSession else {
            return SelfTestReport.Check(name, clause, passed: false,
                                        detail: "no TLS session could be had from \(open.0) (TLS \(open.1!.label))")
        }
        let second = converse(verified.0, resuming: ticket)
        let reused = second?.sessionReused ?? false
        // The control: within the one policy the same session may resume; if it does not, the
        // server resumes nothing and the answer above says little.
        let within = converse(open.0, resuming: ticket)?.sessionReused ?? false
        return SelfTestReport.Check(
            name, clause, passed: !reused,
            detail: "a session made from \(open.0) (TLS \(open.1!.label)) offered from \(verified.0) (TLS "
                + "\(verified.1!.label)): " + (reused ? "resumed" : "not resumed")
                + (within ? "; within its own policy it resumes" : "; the server resumed it nowhere"))
    }
}
