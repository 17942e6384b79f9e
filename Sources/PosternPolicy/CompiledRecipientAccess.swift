import PosternConfig

/// A RAT decision for one recipient.
public struct RATDecision: Sendable, Hashable {
    public let action: RecipientAction
    /// The custom reply of the matching entry, if it has one.
    public let response: SMTPResponse?
    /// The entry that matched, or nil for ALL.
    public let entry: String?
    /// The entry lets this recipient past receiving control (the recipients-per-hour limits).
    public var bypassesReceivingControl = false
}

/// A Recipient Access Table compiled for lookups: first match in table order, then ALL.
public struct CompiledRecipientAccess: Sendable {
    private let entries: [RecipientAccessEntry]
    private let domains: [String: Int]
    private let suffixes: [String: Int]
    private let localParts: [String: Int]
    private let addresses: [String: Int]
    private let all: RecipientAction

    public init(_ table: RecipientAccessTable) {
        var domains: [String: Int] = [:]
        var suffixes: [String: Int] = [:]
        var localParts: [String: Int] = [:]
        var addresses: [String: Int] = [:]
        for (i, entry) in table.entries.enumerated() {
            switch entry.pattern.kind {
            case .domain(let d): domains[d] = domains[d] ?? i
            case .domainSuffix(let d): suffixes[d] = suffixes[d] ?? i
            case .localPart(let l): localParts[l] = localParts[l] ?? i
            case .address(let l, let d): addresses[l + "@" + d] = addresses[l + "@" + d] ?? i
            }
        }
        self.entries = table.entries
        self.domains = domains
        self.suffixes = suffixes
        self.localParts = localParts
        self.addresses = addresses
        self.all = table.all
    }

    /// Decides `local@domain` (no angle brackets; case does not matter).
    public func evaluate(local: String, domain: String) -> RATDecision {
        let local = local.lowercased()
        let domain = domain.lowercased()
        var best = Int.max
        if let i = addresses[local + "@" + domain] { best = min(best, i) }
        if let i = localParts[local] { best = min(best, i) }
        if let i = domains[domain] { best = min(best, i) }
        var rest = Substring(domain)
        while let dot = rest.firstIndex(of: ".") {
            rest = rest[rest.index(after: dot)...]
            if let i = suffixes[String(rest)] { best = min(best, i) }
        }
        guard best != .max else { return RATDecision(action: all, response: nil, entry: nil) }
        let entry = entries[best]
        return RATDecision(action: entry.action, response: entry.response, entry: entry.pattern.text,
                           bypassesReceivingControl: entry.bypassReceivingControl)
    }
}
