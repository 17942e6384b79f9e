import NIOCore
import PosternConfig
import PosternSMTPCore
import PosternTLS

/// The checks of a listener as a whole: the protocol versions, TLS 1.2 ciphers and TLS 1.3
/// suites it accepts against `sslconfig INBOUND`, and TLS session resumption across a -Verify
/// boundary. They speak from the sources the sender groups chose (`admitted`).
extension SelfTest.Target {
    func tlsChecks(_ admitted: [(source: String, level: TLSLevel)]) -> [SelfTestReport.Check] {
        var checks: [SelfTestReport.Check] = []
        // Where a client without a certificate cannot finish a handshake (-Verify), no version
        // can be told from another: the versions are tried from a source without -Verify.
        if let open = admitted.first(where: { $0.level == .preferred || $0.level == .required }) {
            checks += versionChecks(from: open.source)
        }
        if let check = resumptionCheck(admitted) { checks.append(check) }
        return checks
    }

    /// One handshake per protocol version, then per TLS 1.2 cipher and TLS 1.3 suite, with a
    /// client that offers only it.
    func versionChecks(from source: String) -> [SelfTestReport.Check] {
        let ssl = configuration.ssl
        func handshakes(_ methods: [TLSProtocolVersion], suites: String, ciphers: String = "ALL:@SECLEVEL=0") -> Bool {
            let settings = SSLServiceSettings(methods: TLSMethods(methods), ciphers: ciphers, tls13Suites: suites)
            guard let only = try? TLSContext(role: .client, settings: settings, identity: nil) else { return false }
            return connect(from: source, .preferred, tls: only).tlsProtocol != nil
        }
        var checks: [SelfTestReport.Check] = []
        let versions = [TLSProtocolVersion.tlsv1_0, .tlsv1_1, .tlsv1_2, .tlsv1_3].filter {
            handshakes([$0], suites: ssl.outbound.tls13Suites)
        }
        checks.append(SelfTestReport.protocolCheck(accepted: versions, configured: ssl.inbound.methods))
        if versions.contains(.tlsv1_2) {
            let candidates = ((try? CipherList.expand("ALL:COMPLEMENTOFALL:@SECLEVEL=0")) ?? [])
                .filter { $0.minimumProtocol != "TLSv1.3" }
            let accepted = candidates.filter {
                handshakes([.tlsv1_2], suites: ssl.outbound.tls13Suites, ciphers: $0.name + ":@SECLEVEL=0")
            }
            let configured = ((try? CipherList.expand(ssl.inbound.ciphers, methods: ssl.inbound.methods,
                                                      supportedOnly: true)) ?? [])
                .filter { $0.minimumProtocol != "TLSv1.3" }
            checks.append(SelfTestReport.cipherCheck(accepted: accepted.map { ($0.name, $0.line) },
                                                     configured: configured.map { ($0.name, $0.line) }))
        }
        if versions.contains(.tlsv1_3) {
            let suites = SelfTestReport.tls13Suites.filter { handshakes([.tlsv1_3], suites: $0) }
            checks.append(SelfTestReport.suiteCheck(accepted: suites, configured: ssl.inbound.tls13Suites))
        }
        return checks
    }

    /// When one group's source meets a policy with TLS and no certificate requirement and
    /// another's a -Verify policy, a session made by the first and offered by the second must
    /// not resume (DESIGN.md: resumption never crosses a verification requirement).
    func resumptionCheck(_ admitted: [(source: String, level: TLSLevel)]) -> SelfTestReport.Check? {
        guard let open = admitted.first(where: { $0.level == .preferred || $0.level == .required }),
            let verified = admitted.first(where: { $0.level == .requiredVerify || $0.level == .preferredVerify })
        else { return nil }
        func converse(_ source: String, resuming: TLSSession?) -> ConnectionReport? {
            try? Prober.converse(from: source, to: address, port: listener.port, recipient: recipient,
                                 level: .preferred, hostname: interface.hostname, heloName: heloName, tls: tls,
                                 group: group, resuming: resuming).wait()
        }
        let name = "TLS session resumption does not cross a -Verify boundary"
        let clause = "RFC 3207 §4.1, RFC 8446 §2.2"
        guard let first = converse(open.source, resuming: nil), let ticket = first.tlsSession else {
            return SelfTestReport.Check(name, clause, passed: false,
                                        detail: "no TLS session could be had from \(open.source) (TLS \(open.level.label))")
        }
        let reused = converse(verified.source, resuming: ticket)?.sessionReused ?? false
        // The control: within the one policy the same session may resume; if it does not, the
        // server resumes nothing and the answer above says little.
        let within = converse(open.source, resuming: ticket)?.sessionReused ?? false
        return SelfTestReport.Check(
            name, clause, passed: !reused,
            detail: "a session made from \(open.source) (TLS \(open.level.label)) offered from \(verified.source) (TLS "
                + "\(verified.level.label)): " + (reused ? "resumed" : "not resumed")
                + (within ? "; within its own policy it resumes" : "; the server resumed it nowhere"))
    }
}
