import PosternConfig

/// What the HAT decided for a connection.
public enum HATDecision: Sendable, Hashable {
    case matched(HATMatch)
    /// A sender group that would be consulted first depends on DNS, and DNS did not answer.
    /// Never treated as "no match" (style.md §5): the engine answers 421 and the client retries.
    case temporaryFailure(group: String)
}

/// The sender group that matched, and what the connection runs under.
public struct HATMatch: Sendable, Hashable {
    /// The sender group's name, or nil for the ALL group (the log prints `SG None`).
    public let group: String?
    /// The entry text that matched (`10.1.1.0/24`), empty for ALL.
    public let entry: String
    /// The policy's name without `$`, or nil for an inline behaviour.
    public let policy: String?
    public let behavior: Behavior
    public let parameters: PolicyParameters

    public init(group: String?, entry: String, policy: String?, behavior: Behavior, parameters: PolicyParameters) {
        self.group = group
        self.entry = entry
        self.policy = policy
        self.behavior = behavior
        self.parameters = parameters
    }
}

/// A listener's HAT compiled for lookups: first match in table order, `ALL` last,
/// `CONTINUE` groups passed over (asyncos-cli.md §2.3).
public struct CompiledHostAccess: Sendable {
    /// One row per sender group that can decide (not CONTINUE), in table order; the
    /// position in this array is the rank every index below stores.
    private let groups: [HATMatch.Template]
    private let entryTexts: [[String]]
    private let v4: IPRangeMap<UInt32>
    private let v6: IPRangeMap<UInt128>
    /// Every entry has a global rank: its position in table order over all deciding groups,
    /// so the lowest rank is the first match. `groupStarts[g]` is the rank of group g's first entry.
    private let groupStarts: [Int32]
    private let hostnames: [String: Int32]
    private let suffixes: [String: Int32]
    private let reputation: [(low: Double, high: Double, rank: Int32)]
    private let noReputation: Int32?
    private let all: HATMatch
    /// Whether any entry needs the connecting host's verified name.
    public let needsReverseDNS: Bool
    /// Entry counts by kind, for `status` and the benchmarks.
    public let entryCount: Int

    public init(_ table: HostAccessTable) throws(ConfigProblems) {
        var problems: [ConfigProblem] = []
        var groups: [HATMatch.Template] = []
        var entryTexts: [[String]] = []
        var v4Ranges: [(low: UInt32, high: UInt32, rank: Int32)] = []
        var v6Ranges: [(low: UInt128, high: UInt128, rank: Int32)] = []
        var hostnames: [String: Int32] = [:]
        var suffixes: [String: Int32] = [:]
        var reputation: [(low: Double, high: Double, rank: Int32)] = []
        var noReputation: Int32?
        var groupStarts: [Int32] = []
        var count = 0
        for group in table.senderGroups {
            guard let resolved = table.resolve(group) else {
                problems.append(ConfigProblem(path: "senderGroups[\(group.name)]",
                                              message: "It refers to the policy \(group.action), which is not defined."))
                continue
            }
            if resolved.behavior == .continue { continue }
            groupStarts.append(Int32(count))
            groups.append(HATMatch.Template(group: group.name, policy: group.action.policyName,
                                            behavior: resolved.behavior, parameters: resolved.parameters))
            entryTexts.append(group.entries.map(\.logText))
            for entry in group.entries {
                let key = Int32(count)
                count += 1
                switch entry.kind {
                case .addresses(.v4(let lo), .v4(let hi)): v4Ranges.append((lo, hi, key))
                case .addresses(.v6(let lo), .v6(let hi)): v6Ranges.append((lo, hi, key))
                case .addresses:
                    problems.append(ConfigProblem(path: "senderGroups[\(group.name)]",
                                                  message: "\"\(entry.text)\" mixes IPv4 and IPv6."))
                case .hostname(let name): hostnames[name] = min(hostnames[name] ?? .max, key)
                case .domainSuffix(let name): suffixes[name] = min(suffixes[name] ?? .max, key)
                case .reputation(let lo, let hi): reputation.append((lo, hi, key))
                case .noReputation: noReputation = min(noReputation ?? .max, key)
                case .networkOwner, .dnsList: break  // no reputation or DNS-list source yet: never match
                }
            }
        }
        guard let allResolved = table.resolve(table.all), allResolved.behavior != .continue else {
            problems.append(ConfigProblem(path: "all", message: "ALL must name a policy or a behaviour other than CONTINUE."))
            throw ConfigProblems(problems)
        }
        if !problems.isEmpty { throw ConfigProblems(problems) }
        self.groups = groups
        self.groupStarts = groupStarts
        self.entryTexts = entryTexts
        self.v4 = IPRangeMap(ranges: v4Ranges)
        self.v6 = IPRangeMap(ranges: v6Ranges)
        self.hostnames = hostnames
        self.suffixes = suffixes
        self.reputation = reputation
        self.noReputation = noReputation
        self.needsReverseDNS = !hostnames.isEmpty || !suffixes.isEmpty
        self.entryCount = count
        self.all = HATMatch(group: nil, entry: "", policy: table.all.policyName, behavior: allResolved.behavior,
                            parameters: allResolved.parameters)
    }

    /// First match in table order for `peer`.
    public func evaluate(_ peer: PeerFacts) -> HATDecision {
        var best = Int32.max
        switch peer.address {
        case .v4(let a): if let k = v4.lookup(a) { best = k }
        case .v6(let a): if let k = v6.lookup(a) { best = k }
        }
        if let score = peer.reputation {
            for r in reputation where r.low <= score && score <= r.high && r.rank < best { best = r.rank }
        } else if let k = noReputation, k < best {
            best = k
        }
        if needsReverseDNS {
            switch peer.reverseDNS {
            case .verified(let name):
                let name = name.lowercased().hasSuffix(".") ? String(name.lowercased().dropLast()) : name.lowercased()
                if let k = hostnames[name], k < best { best = k }
                var rest = Substring(name)
                while let dot = rest.firstIndex(of: ".") {
                    rest = rest[rest.index(after: dot)...]
                    if let k = suffixes[String(rest)], k < best { best = k }
                }
            case .temporaryFailure:
                // A name entry ranked before the best match could have matched: we cannot know.
                let firstNameRank = min(hostnames.values.min() ?? .max, suffixes.values.min() ?? .max)
                if firstNameRank < best {
                    return .temporaryFailure(group: groups[group(of: firstNameRank)].group)
                }
            case .unverified, .notChecked:
                break
            }
        }
        guard best != .max else { return .matched(all) }
        let g = group(of: best)
        return .matched(groups[g].match(entry: entryTexts[g][Int(best - groupStarts[g])]))
    }

    /// The group holding the entry of global rank `rank`: the last group starting at or before it.
    private func group(of rank: Int32) -> Int {
        var low = 0
        var high = groupStarts.count
        while low < high {
            let mid = (low + high) / 2
            if groupStarts[mid] <= rank { low = mid + 1 } else { high = mid }
        }
        return low - 1
    }

    /// IP intervals after flattening (for the benchmark's memory figure).
    public var memoryFootprint: Int { v4.memoryFootprint + v6.memoryFootprint }
}

extension HATMatch {
    struct Template: Sendable {
        let group: String
        let policy: String?
        let behavior: Behavior
        let parameters: PolicyParameters

        func match(entry: String) -> HATMatch {
            HATMatch(group: group, entry: entry, policy: policy, behavior: behavior, parameters: parameters)
        }
    }
}

extension SenderEntry {
    /// The entry as the mail log prints it: reputation ranges in lower case (`sbrs[-1.0:10.0]`).
    var logText: String {
        switch kind {
        case .reputation, .noReputation, .dnsList: return text.lowercased()
        case .addresses, .hostname, .domainSuffix, .networkOwner: return text
        }
    }
}

extension SenderGroupAction {
    var policyName: String? {
        if case .policy(let name) = self { return name }
        return nil
    }
}
