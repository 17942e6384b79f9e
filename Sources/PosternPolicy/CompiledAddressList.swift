import PosternConfig

/// An address list compiled for lookups (`addresslistconfig`): sets for the exact forms, a
/// walk up the domain for `@.example.com`. Case does not count.
public struct CompiledAddressList: Sendable {
    public let name: String
    private let addresses: Set<String>
    private let localParts: Set<String>
    private let domains: Set<String>
    private let parentDomains: Set<String>

    public init(_ list: AddressList) {
        var addresses = Set<String>(), localParts = Set<String>(), domains = Set<String>(), parents = Set<String>()
        for pattern in list.patterns {
            switch pattern {
            case .address(let local, let domain): addresses.insert(local + "@" + domain)
            case .localPart(let local): localParts.insert(local)
            case .domain(let domain), .literal(let domain): domains.insert(domain)
            case .subdomains(let domain): parents.insert(domain)
            }
        }
        self.name = list.name
        self.addresses = addresses
        self.localParts = localParts
        self.domains = domains
        self.parentDomains = parents
    }

    /// Whether an envelope address is on the list; the null sender (`<>`) never is. Read as
    /// `AddressPattern.matches` reads it: quotes off the local part, literals as addresses.
    public func contains(local: String, domain: String) -> Bool {
        let local = AddressPattern.unquoted(local).lowercased()
        let domain = AddressPattern.literal(domain) ?? domain.lowercased()
        guard !local.isEmpty || !domain.isEmpty else { return false }
        if addresses.contains(local + "@" + domain) || localParts.contains(local) || domains.contains(domain) {
            return true
        }
        var rest = Substring(domain)
        while let dot = rest.firstIndex(of: ".") {
            rest = rest[rest.index(after: dot)...]
            if parentDomains.contains(String(rest)) { return true }
        }
        return false
    }
}
