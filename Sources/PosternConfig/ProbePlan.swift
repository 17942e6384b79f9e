/// How a configuration is served for a probe: every interface moved onto loopback, every
/// listener on a port the probe picked, and every sender group given a loopback address of
/// its own so one client can stand for it. The groups keep their order and actions; only
/// their entries are replaced, so the policy a source meets is the one its group names.
public struct ProbePlan: Sendable {
    /// One connection to make: listener `listener` (index) from `source` for group `group`
    /// (index into the listener's sender groups; nil is `ALL`).
    public struct Target: Hashable, Sendable {
        public var listener: Int
        public var group: Int?
        public var source: String
        /// Where the probe serves the listener.
        public var address: String
        public var port: Int
        /// RCPT TO: one the listener's RAT accepts where there is one.
        public var recipient: String
    }

    /// The configuration to serve.
    public var configuration: Configuration
    public var targets: [Target]
    /// The report before any connection: listeners and groups, the skipped ones with why.
    public var skeleton: ProbeReport

    /// `ports`: one free loopback port per listener, in order.
    public init(_ original: Configuration, ports: [Int]) {
        var configuration = original
        var skeleton = ProbeReport()
        var targets: [Target] = []
        for index in configuration.interfaces.indices {
            configuration.interfaces[index].address = IPAddress("127.0.0.\(index + 1)")!
            configuration.interfaces[index].prefixLength = 8
            configuration.interfaces[index].httpsPort = nil
            configuration.interfaces[index].httpPort = nil
        }
        // A reverse lookup of a loopback source says nothing about the real senders and could
        // wait for DNS; the groups no longer hold names, so it is skipped.
        configuration.listenerSettings.reverseDNSTimeout = 0
        for (l, listener) in original.listeners.enumerated() {
            let port = ports[l]
            configuration.listeners[l].port = port
            let served = configuration.interface(named: listener.interface)?.address.description ?? "127.0.0.1"
            let hostname = original.interface(named: listener.interface)?.hostname ?? original.hostname
            let recipient = ProbePlan.recipient(listener.recipientAccess, hostname: hostname)
            let address = original.interface(named: listener.interface)?.address.description ?? listener.interface
            var report = ProbeListener(name: listener.name, address: address, port: listener.port)
            let hat = listener.hostAccess
            var reachable = true
            for (g, group) in hat.senderGroups.enumerated() {
                let source = "127.1.\(g / 250).\(g % 250 + 1)"
                configuration.listeners[l].hostAccess.senderGroups[g].entries = [try! SenderEntry(parsing: source)]
                var entry = ProbeReport.group(group.name, group.entries.map(\.text).joined(separator: ", "), group.action,
                                              hat.resolve(group))
                if group.entries.isEmpty {
                    entry.skipped = "the group has no entries"
                    configuration.listeners[l].hostAccess.senderGroups[g].entries = []
                } else if !reachable {
                    entry.skipped = "an earlier group matches every address"
                } else if case .behavior(.continue) = group.action {
                    entry.skipped = "CONTINUE: a sender here is decided by the next group it belongs to"
                } else {
                    entry.source = source
                    targets.append(Target(listener: l, group: g, source: source, address: served, port: port, recipient: recipient))
                }
                if group.entries.contains(where: ProbePlan.matchesEverything) { reachable = false }
                report.groups.append(entry)
            }
            var all = ProbeReport.group("ALL", "ALL", hat.all, hat.resolve(hat.all))
            if reachable {
                all.source = "127.2.0.1"
                targets.append(Target(listener: l, group: nil, source: "127.2.0.1", address: served, port: port, recipient: recipient))
            } else {
                all.skipped = "an earlier group matches every address"
            }
            report.groups.append(all)
            skeleton.listeners.append(report)
        }
        self.configuration = configuration
        self.targets = targets
        self.skeleton = skeleton
    }

    /// A recipient the RAT accepts (its first accepting entry), else the postmaster of `hostname`.
    public static func recipient(_ rat: RecipientAccessTable?, hostname: String) -> String {
        guard let entry = rat?.entries.first(where: { $0.action == .accept }) else { return "postmaster@\(hostname)" }
        switch entry.pattern.kind {
        case .domain(let domain): return "postmaster@\(domain)"
        case .domainSuffix(let domain): return "postmaster@probe.\(domain)"
        case .localPart(let local): return "\(local)@\(hostname)"
        case .address(let local, let domain): return "\(local)@\(domain)"
        }
    }

    /// `0.0.0.0/0` and `::/0` leave nothing for the groups after them.
    static func matchesEverything(_ entry: SenderEntry) -> Bool {
        entry.text == "0.0.0.0/0" || entry.text == "::/0"
    }
}

extension ProbeReport {
    static func group(_ name: String, _ entries: String, _ action: SenderGroupAction,
                      _ resolved: (behavior: Behavior, parameters: PolicyParameters)?) -> ProbeGroup {
        return ProbeGroup(name: name, entries: entries, action: action.description,
                          behavior: resolved?.behavior.label ?? "?", tls: resolved?.parameters.tls.label)
    }
}
