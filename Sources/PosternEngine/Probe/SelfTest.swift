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
/// loopback with the delivery client, as an outside auditor would: every sender group a
/// loopback source can stand for (the dry run's choice, `ProbeSources`) against RFC 3207 and
/// the policy the HAT gives it, then each listener's TLS versions, ciphers and resumption.
public enum SelfTest {
    public static func run(home: Home) -> SelfTestReport {
        var report = SelfTestReport()
        let configuration: Configuration
        let client: TLSContext
        do {
            configuration = try ConfigStore(home: home).load().configuration
            client = try CompiledConfiguration.probeClient(configuration, home: home)
        } catch {
            report.problems = ["the committed configuration cannot be loaded: \(error)"]
            return report
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        for listener in configuration.listeners {
            guard let interface = configuration.interface(named: listener.interface) else {
                report.problems.append("\(listener.name): the interface \(listener.interface) does not exist")
                continue
            }
            let target = Target(configuration: configuration, listener: listener, interface: interface,
                                tls: client, group: group)
            report.listeners.append(target.check())
        }
        return report
    }

    /// One listener as the self-test reaches it.
    struct Target {
        let configuration: Configuration
        let listener: Listener
        let interface: IPInterface
        let tls: TLSContext
        let group: any EventLoopGroup

        var family: ProbeSources.Family { interface.address.isIPv4 ? .v4 : .v6 }
        /// A wildcard address is reached on loopback; any other is one of this host's own.
        var address: String {
            interface.address.value == 0 ? (interface.address.isIPv4 ? "127.0.0.1" : "::1") : interface.address.description
        }
        var recipient: String { ProbePlan.recipient(listener.recipientAccess, hostname: interface.hostname) }
        var heloName: String { "selftest.\(configuration.hostname)" }

        func connect(from source: String, _ level: SMTPClientSession.TLSLevelPolicy, tls: TLSContext? = nil,
                     pipelining: String? = nil, first: String? = nil) -> ProbeConnection {
            let future = Prober.probe(from: source, to: address, port: listener.port, recipient: recipient, level: level,
                                      hostname: interface.hostname, heloName: heloName, tls: tls ?? self.tls,
                                      group: group, pipelineBehindSTARTTLS: pipelining, firstCommandInsideTLS: first)
            return (try? future.wait()) ?? ProbeConnection()
        }

        func check() -> SelfTestReport.Listener {
            let hat = listener.hostAccess
            let compiledHAT = try? CompiledHostAccess(hat)
            func match(_ source: IPAddress) -> HATMatch? {
                guard case .matched(let m)? = compiledHAT?.evaluate(PeerFacts(address: source, reverseDNS: .unverified(nil)))
                else { return nil }
                return m
            }
            let home = family == .v4 ? IPAddress.v4(0x7F00_0001) : .v6(1)
            let seen = match(home)
            var entry = SelfTestReport.Listener(
                name: listener.name, address: interface.address.description, port: listener.port,
                group: seen.map { $0.group ?? "ALL" } ?? "?", policy: seen.map(SelfTest.policy) ?? "?",
                tls: seen?.parameters.tls.label ?? "?")
            let choices = ProbeSources.choose(hat, family: family, landsIn: CompiledHostAccess.landing(hat))
            let names = hat.senderGroups.map(\.name) + ["ALL"]
            // Sources whose policy lets a client in, with its TLS level: the listener-wide checks
            // speak from them.
            var admitted: [(source: String, level: TLSLevel)] = []
            for (name, choice) in zip(names, choices) {
                guard let source = choice.source, let met = match(source) else {
                    entry.groups.append(SelfTestReport.Group(name: name, skipped: choice.skipped ?? "no policy"))
                    continue
                }
                entry.groups.append(SelfTestReport.Group(name: name, source: source.description,
                                                         policy: SelfTest.policy(met), tls: met.parameters.tls.label))
                // The certificate is the listener's, whatever the group: its checks count once.
                for var check in groupChecks(from: source.description, meets: met) {
                    if [SelfTestReport.chainCheck, SelfTestReport.hostNameCheck].contains(check.name) {
                        guard !entry.checks.contains(where: { $0.name == check.name }) else { continue }
                    } else {
                        check.group = name
                    }
                    entry.checks.append(check)
                }
                if met.behavior == .accept || met.behavior == .relay {
                    admitted.append((source.description, met.parameters.tls))
                }
            }
            entry.checks += tlsChecks(admitted)
            if !admitted.contains(where: { $0.level == .preferred || $0.level == .required }) {
                entry.tlsSkipped = "no checked sender group's policy offers TLS without -Verify, so the versions and "
                    + "ciphers cannot be told from loopback"
            }
            return entry
        }

        /// What one sender group's source meets: refused where the policy refuses, else RFC 3207.
        func groupChecks(from source: String, meets match: HATMatch) -> [SelfTestReport.Check] {
            let plain = connect(from: source, .no)
            guard match.behavior == .accept || match.behavior == .relay else {
                let admitted = plain.refused == nil && (plain.mailReply?.hasPrefix("2") ?? false)
                let seen = plain.refused ?? plain.mailReply ?? "(no reply)"
                return [SelfTestReport.Check("Sender refused as the policy says (\(match.behavior.label))",
                                             "RFC 5321 §3.1, HAT", passed: !admitted, detail: seen)]
            }
            let level = match.parameters.tls
            return SelfTestReport.checks(level: level, plain: plain, tls: connect(from: source, .preferred),
                                         pipelined: connect(from: source, .preferred, pipelining: "HELP"),
                                         reset: connect(from: source, .preferred, first: "MAIL FROM:<>"))
        }
    }

    static func policy(_ match: HATMatch) -> String { match.policy.map { "$" + $0 } ?? match.behavior.rawValue }
}
