import PosternConfig

/// The outcome of the reverse-DNS check of a connecting host: PTR lookup, then a forward
/// lookup of that name that must return the address again ("verified").
public enum ReverseDNSResult: Sendable, Hashable {
    /// The PTR name resolves back to the address.
    case verified(String)
    /// A PTR name that does not resolve back, or no PTR record at all (nil).
    case unverified(String?)
    /// The DNS did not answer: a decision that depends on the name cannot be made now.
    case temporaryFailure
    /// The table needs no names, so none was looked up.
    case notChecked

    /// The name the mail log prints (`reverse dns host <name> verified yes`).
    public var logName: String {
        switch self {
        case .verified(let name): return name
        case .unverified(let name?): return name
        case .unverified(nil), .temporaryFailure, .notChecked: return "unknown"
        }
    }

    public var isVerified: Bool {
        if case .verified = self { return true }
        return false
    }
}

/// What is known of a connecting host when the HAT is evaluated.
public struct PeerFacts: Sendable, Hashable {
    public var address: IPAddress
    public var reverseDNS: ReverseDNSResult
    /// The SenderBase-style reputation score; nil is "no score" (`SBRS[none]`). Postern has
    /// no reputation source yet, so the engine always passes nil.
    public var reputation: Double?

    public init(address: IPAddress, reverseDNS: ReverseDNSResult = .notChecked, reputation: Double? = nil) {
        self.address = address.unmapped
        self.reverseDNS = reverseDNS
        self.reputation = reputation
    }
}
