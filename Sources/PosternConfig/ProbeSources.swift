/// Which loopback address stands for each sender group of a HAT, or why none can: the one
/// choice `commit --dry-run` (on the HAT it serves, each group given a loopback entry of its
/// own) and `selftest` (on the live HAT) both make. Only the engine's compiled HAT says where
/// an address lands, so the caller passes it in as `landsIn` (the group name, nil for ALL),
/// evaluated as the engine sees a loopback peer: no reputation score, no verified host name.
public enum ProbeSources {
    public enum Choice: Hashable, Sendable {
        case source(IPAddress)
        case skipped(String)

        public var source: IPAddress? {
            if case .source(let address) = self { return address }
            return nil
        }

        public var skipped: String? {
            if case .skipped(let reason) = self { return reason }
            return nil
        }
    }

    /// The addresses a probe can speak from: 127.0.0.0/8 for IPv4 (the kernel treats all of it
    /// as this host), and only ::1 for IPv6.
    public enum Family: Sendable {
        case v4
        case v6

        var range: (low: IPAddress, high: IPAddress) {
            switch self {
            case .v4: return (.v4(0x7F00_0001), .v4(0x7FFF_FFFE))
            case .v6: return (.v6(1), .v6(1))
            }
        }

        /// Tried first, so a source is the familiar address where it can be.
        var preferred: [IPAddress] {
            switch self {
            case .v4: return [.v4(0x7F00_0001), .v4(0x7F02_0001)]
            case .v6: return [.v6(1)]
            }
        }
    }

    public static let noEntries = "the group has no entries"
    public static let afterMatchAll = "an earlier group matches every address"
    public static let continues = "CONTINUE: a sender here is decided by the next group it belongs to"

    /// One choice per sender group in table order, then one for ALL.
    public static func choose(_ hat: HostAccessTable, family: Family, landsIn: (IPAddress) -> String?) -> [Choice] {
        // Where each candidate lands; the first candidate landing in a group stands for it.
        var firstIn: [String?: IPAddress] = [:]
        for candidate in candidates(hat, family: family) {
            let group = landsIn(candidate)
            if firstIn[group] == nil { firstIn[group] = candidate }
        }
        var choices: [Choice] = []
        var coveredBy: String?
        for group in hat.senderGroups {
            let continues: Bool
            if case .behavior(.continue) = group.action { continues = true } else { continues = false }
            if group.entries.isEmpty {
                choices.append(.skipped(noEntries))
            } else if coveredBy != nil {
                choices.append(.skipped(afterMatchAll))
            } else if continues {
                choices.append(.skipped(ProbeSources.continues))
            } else if let source = firstIn[group.name] {
                choices.append(.source(source))
            } else if group.entries.contains(where: { overlap($0, family) != nil }) {
                choices.append(.skipped("its loopback addresses fall in an earlier group"))
            } else {
                choices.append(.skipped("no loopback address falls in it (\(family == .v4 ? "127.0.0.0/8" : "::1") "
                                        + "has no reputation score and no verified host name)"))
            }
            // A CONTINUE group passes its senders on: it covers nothing.
            if !continues && group.entries.contains(where: matchesEverything) { coveredBy = group.name }
        }
        if coveredBy != nil {
            choices.append(.skipped(afterMatchAll))
        } else if let source = firstIn[nil as String?] {
            choices.append(.source(source))
        } else {
            choices.append(.skipped("every loopback address falls in an earlier group"))
        }
        return choices
    }

    /// `0.0.0.0/0` and `::/0` leave nothing for the groups after them.
    public static func matchesEverything(_ entry: SenderEntry) -> Bool {
        entry.text == "0.0.0.0/0" || entry.text == "::/0"
    }

    /// The preferred addresses, then for every address entry the first loopback address it
    /// holds and the one just past it (where the next group, or ALL, may begin).
    static func candidates(_ hat: HostAccessTable, family: Family) -> [IPAddress] {
        var list = family.preferred
        var seen = Set(list)
        for group in hat.senderGroups {
            for entry in group.entries {
                guard let (low, high) = overlap(entry, family) else { continue }
                for address in [low, next(high, family)].compactMap({ $0 }) where seen.insert(address).inserted {
                    list.append(address)
                }
            }
        }
        return list
    }

    /// The part of an address entry inside the family's loopback range.
    static func overlap(_ entry: SenderEntry, _ family: Family) -> (IPAddress, IPAddress)? {
        guard case .addresses(let low, let high) = entry.kind, low.isIPv4 == (family == .v4) else { return nil }
        let range = family.range
        let from = max(low, range.low), to = min(high, range.high)
        return from <= to ? (from, to) : nil
    }

    static func next(_ address: IPAddress, _ family: Family) -> IPAddress? {
        guard address < family.range.high, case .v4(let v) = address else { return nil }
        return .v4(v + 1)
    }
}
