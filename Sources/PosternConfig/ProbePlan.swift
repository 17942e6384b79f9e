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

    /// `ports`: one free loopback port per listener, in order. `landsIn` is the engine's HAT:
    /// for a table, the group a loopback peer at an address lands in (nil for ALL).
    public init(_ original: Configuration, ports: [Int],
                landsIn: (HostAccessTable) -> (IPAddress) -> String?) {
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
            // Each group stands in for its entries with a loopback address of its own; a group
            // that matches every address keeps doing so, for nothing after it is reachable.
            for (g, group) in hat.senderGroups.enumerated() where !group.entries.isEmpty {
                let standIn = IPAddress.v4(0x7F01_0000 | UInt32(g / 250) << 8 | UInt32(g % 250 + 1))
                var entries = [SenderEntry(standIn)]
                if group.entries.contains(where: ProbeSources.matchesEverything) { entries.append(.everyIPv4) }
                configuration.listeners[l].hostAccess.senderGroups[g].entries = entries
            }
            let servedHAT = configuration.listeners[l].hostAccess
            let choices = ProbeSources.choose(servedHAT, family: .v4, landsIn: landsIn(servedHAT))
            let names = hat.senderGroups.map {
                ($0.name, $0.entries.map(\.text).joined(separator: ", "), $0.action, hat.resolve($0))
            } + [("ALL", "ALL", hat.all, hat.resolve(hat.all))]
            for (g, (name, entries, action, resolved)) in names.enumerated() {
                var entry = ProbeReport.group(name, entries, action, resolved)
                switch choices[g] {
                case .skipped(let reason):
                    entry.skipped = reason
                case .source(let source):
                    entry.source = source.description
                    targets.append(Target(listener: l, group: g < hat.senderGroups.count ? g : nil,
                                          source: source.description, address: served, port: port,
                                          recipient: recipient))
                }
                report.groups.append(entry)
            }
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
}

extension SenderEntry {
    /// One address, as a probe's stand-in for a group's entries.
    init(_ address: IPAddress) {
        text = address.description
        kind = .addresses(address, address)
    }

    /// `0.0.0.0/0`: where the probe serves a group that matches every address.
    static let everyIPv4 = SenderEntry(text: "0.0.0.0/0", kind: .addresses(.v4(0), .v4(.max)))

    private init(text: String, kind: Kind) {
        self.text = text
        self.kind = kind
    }
}

extension ProbeReport {
    static func group(_ name: String, _ entries: String, _ action: SenderGroupAction,
                      _ resolved: (behavior: Behavior, parameters: PolicyParameters)?) -> ProbeGroup {
        return ProbeGroup(name: name, entries: entries, action: action.description,
                          behavior: resolved?.behavior.label ?? "?", tls: resolved?.parameters.tls.label)
    }
}
