import NIOCore
import NIOPosix
import PosternConfig
import PosternTLS

/// The warnings of a probe that need no sender group: what the settings say, and what one
/// more handshake per listener shows.
extension Prober {
    /// Warnings that follow from the settings alone.
    static func staticWarnings(_ configuration: Configuration) -> [String] {
        var warnings: [String] = []
        let inbound = configuration.ssl.inbound
        let current: [TLSProtocolVersion] = [.tlsv1_2, .tlsv1_3]
        if !inbound.methods.versions.contains(where: current.contains) {
            warnings.append("sslconfig INBOUND: the methods \(inbound.methods.label) are ones no current client speaks "
                            + "(OpenSSL 3 and current mail servers need TLS v1.2 or v1.3).")
        }
        if inbound.methods.versions.contains(.tlsv1_2) {
            let usable = (try? CipherList.expand(inbound.ciphers, methods: TLSMethods([.tlsv1_2]), supportedOnly: true)) ?? []
            if !usable.contains(where: { $0.minimumProtocol != "TLSv1.3" }) {
                warnings.append("sslconfig INBOUND: the cipher string \"\(inbound.ciphers)\" leaves no cipher usable "
                                + "with TLS v1.2; TLS v1.2 clients cannot connect.")
            }
        }
        return warnings
    }

    /// A cipher string can leave TLS v1.2 ciphers that the listener's certificate cannot serve
    /// (ECDSA ciphers with an RSA key): TLS v1.3 still works, so only a client limited to
    /// TLS v1.2 shows it. One such client per listener that completed a handshake.
    static func tls12Warnings(_ plan: ProbePlan, report: ProbeReport, group: any EventLoopGroup,
                              heloName: String) -> [String] {
        let inbound = plan.configuration.ssl.inbound
        guard inbound.methods.versions.contains(.tlsv1_2), report.warnings.allSatisfy({ !$0.contains("TLS v1.2") }),
            let only = try? TLSContext(role: .client, settings: SSLServiceSettings(
                methods: TLSMethods([.tlsv1_2]), ciphers: "ALL:COMPLEMENTOFALL:@SECLEVEL=0", tls13Suites: ""),
                                       identity: nil)
        else { return [] }
        var warnings: [String] = []
        for (l, listener) in report.listeners.enumerated() {
            guard let g = listener.groups.firstIndex(where: { $0.tlsClient?.tlsProtocol != nil }),
                let target = plan.targets.first(where: { $0.listener == l && ($0.group ?? listener.groups.count - 1) == g })
            else { continue }
            let hostname = plan.configuration.interface(named: plan.configuration.listeners[l].interface)?.hostname
                ?? plan.configuration.hostname
            let seen = try? probe(from: target.source, to: target.address, port: target.port, recipient: target.recipient,
                                  level: .preferred, hostname: hostname, heloName: heloName, tls: only, group: group).wait()
            if seen?.tlsProtocol == nil {
                warnings.append("\(listener.name): no cipher of \"\(inbound.ciphers)\" can be used with TLS v1.2 and "
                                + "the listener's certificate (\(listener.groups[g].tlsClient?.certificateSubject ?? "?")); "
                                + "TLS v1.2 clients cannot connect.")
            }
        }
        return warnings
    }

    /// A listener's own address and port held by another program: the engine could not listen
    /// there after the commit. What the live engine serves (`committed`) is its own and free
    /// to it; an address this host does not have is `commitcheck`'s warning, not this one.
    static func portWarnings(_ candidate: Configuration, committed: Configuration?,
                             group: any EventLoopGroup) -> [String] {
        func place(_ configuration: Configuration, _ listener: Listener) -> String? {
            configuration.interface(named: listener.interface).map { "\($0.address)|\(listener.port)" }
        }
        let held = Set((committed?.listeners ?? []).compactMap { place(committed!, $0) })
        var warnings: [String] = []
        for listener in candidate.listeners {
            guard let interface = candidate.interface(named: listener.interface),
                let key = place(candidate, listener), !held.contains(key)
            else { continue }
            let bound = ServerBootstrap(group: group)
                .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                .bind(host: interface.address.description, port: listener.port)
            do {
                try bound.wait().close().wait()
            } catch let error as IOError where error.errnoCode == EADDRINUSE {
                warnings.append("\(listener.name): port \(listener.port) on \(interface.address) is in use by another "
                                + "program; the engine will not be able to listen there.")
            } catch {
                continue
            }
        }
        return warnings
    }
}
