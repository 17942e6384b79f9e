/// A public listener's Recipient Access Table (asyncos-cli.md §2.8): which recipients the
/// listener accepts mail for. First match wins; `all` decides the rest.
public struct RecipientAccessTable: Codable, Hashable, Sendable {
    public var entries: [RecipientAccessEntry]
    public var all: RecipientAction

    public init(entries: [RecipientAccessEntry], all: RecipientAction = .reject) {
        self.entries = entries
        self.all = all
    }
}

extension RecipientAccessTable {
    /// Where a new entry goes: before the first entry that covers it (first match wins, so
    /// behind it the new entry would never match), else last.
    public func insertionIndex(for pattern: RecipientPattern) -> Int {
        entries.firstIndex { $0.pattern.covers(pattern) } ?? entries.count
    }
}

public enum RecipientAction: String, Codable, CaseIterable, Sendable {
    case accept = "ACCEPT"
    case reject = "REJECT"

    public var label: String { self == .accept ? "Accept" : "Reject" }
}

public struct RecipientAccessEntry: Codable, Hashable, Sendable {
    public var pattern: RecipientPattern
    public var action: RecipientAction
    /// A custom reply for this entry; nil is the standard reply.
    public var response: SMTPResponse?
    /// Bypass receiving control (rate limits) for this recipient.
    public var bypassReceivingControl: Bool

    public init(
        pattern: RecipientPattern, action: RecipientAction, response: SMTPResponse? = nil,
        bypassReceivingControl: Bool = false
    ) {
        self.pattern = pattern
        self.action = action
        self.response = response
        self.bypassReceivingControl = bypassReceivingControl
    }
}

/// A recipient specification: `example.com`, `.example.com`, `postmaster@`,
/// `joe@example.com` or `joe@[192.0.2.1]` (asyncos-cli.md §1.2).
public struct RecipientPattern: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        case domain(String)
        case domainSuffix(String)
        case localPart(String)
        case address(local: String, domain: String)
    }

    public let text: String
    public let kind: Kind
    public var description: String { text }

    public init(parsing raw: String) throws(SenderEntryError) {
        let text = raw.trimmingWhitespace()
        self.text = text
        let error = SenderEntryError(
            "A Recipient Access Table address can be one of the following: a hostname (example.com), a partial "
                + "hostname (.example.com), a username (postmaster@) or a full address (joe@example.com).")
        if text.uppercased() == "ALL" || text.isEmpty { throw error }
        if let at = text.lastIndex(of: "@") {
            let local = String(text[..<at]).lowercased()
            let domain = String(text[text.index(after: at)...]).lowercased()
            guard !local.isEmpty, !local.contains(where: { $0.isWhitespace || $0 == "<" || $0 == ">" }) else {
                throw error
            }
            if domain.isEmpty {
                kind = .localPart(local)
            } else if domain.hasPrefix("["), domain.hasSuffix("]"), IPAddress(String(domain.dropFirst().dropLast())) != nil {
                kind = .address(local: local, domain: domain)
            } else if Hostname.isValid(domain) {
                kind = .address(local: local, domain: domain)
            } else {
                throw error
            }
        } else if text.hasPrefix(".") {
            let domain = String(text.dropFirst()).lowercased()
            guard Hostname.isValid(domain) else { throw error }
            kind = .domainSuffix(domain)
        } else {
            guard Hostname.isValid(text) else { throw error }
            kind = .domain(text.lowercased())
        }
    }

    /// Whether every address this pattern matches is matched by `self` too, so that `self`
    /// placed first would leave `other` dead (`example.com` covers `joe@example.com`).
    public func covers(_ other: RecipientPattern) -> Bool {
        switch (kind, other.kind) {
        case (.domain(let d), .address(_, let od)): return od == d
        case (.domainSuffix(let s), .address(_, let od)), (.domainSuffix(let s), .domain(let od)):
            return od.hasSuffix("." + s)
        case (.domainSuffix(let s), .domainSuffix(let os)): return os == s || os.hasSuffix("." + s)
        case (.localPart(let l), .address(let ol, _)): return ol == l
        case (.domain(let d), .domain(let od)): return od == d
        case (.localPart(let l), .localPart(let ol)): return ol == l
        case (.address(let l, let d), .address(let ol, let od)): return ol == l && od == d
        default: return false
        }
    }

    /// Whether an address (`local@domain`, already without angle brackets) matches.
    public func matches(local: String, domain: String) -> Bool {
        let local = local.lowercased()
        let domain = domain.lowercased()
        switch kind {
        case .domain(let d): return domain == d
        case .domainSuffix(let d): return domain.hasSuffix("." + d)
        case .localPart(let l): return local == l
        case .address(let l, let d): return local == l && domain == d
        }
    }
}

extension RecipientPattern: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            try self.init(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.message)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}
