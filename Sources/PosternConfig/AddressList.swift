/// A named list of envelope addresses (`addresslistconfig`; the GUI's Mail Policies > Address
/// Lists). A mail flow policy with TLS Preferred can name one as "TLS is Mandatory for Address
/// List": a sender on it must use TLS (asyncos-cli.md §3.1, "the sender will have to try again
/// using TLS").
public struct AddressList: Codable, Hashable, Sendable {
    public var name: String
    public var description: String
    /// The entries as typed, each one of the `AddressPattern` forms.
    public var entries: [String]

    public init(name: String, description: String = "", entries: [String]) {
        self.name = name
        self.description = description
        self.entries = entries
    }

    /// The entries read; an entry that does not read is left out (validation reports it).
    public var patterns: [AddressPattern] { entries.compactMap { try? AddressPattern(parsing: $0) } }
}

/// One address-list entry, in the forms of the AsyncOS User Guide ("Using a List of Sender
/// Addresses for Incoming Connection Rules"): `user@example.com`, `user@`, `@example.com`,
/// `@.example.com` (every subdomain of example.com, not example.com itself, as a partial
/// domain reads in Postfix) and `@[192.0.2.1]`. Matching ignores case.
public enum AddressPattern: Hashable, Sendable {
    case address(local: String, domain: String)
    case localPart(String)
    case domain(String)
    case subdomains(of: String)
    case literal(String)

    public init(parsing raw: String) throws(AddressPatternError) {
        let text = raw.trimmingWhitespace().lowercased()
        guard !text.isEmpty else { throw AddressPatternError("An address list entry cannot be empty.") }
        guard text.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != "," && $0 != "<" && $0 != ">" }),
              let at = text.lastIndex(of: "@")
        else {
            throw AddressPatternError("\"\(raw)\" is not an address list entry: use user@example.com, user@, "
                + "@example.com, @.example.com or @[192.0.2.1].")
        }
        let local = String(text[..<at])
        let domain = String(text[text.index(after: at)...])
        if local.contains("@") || local.hasPrefix(".") || local.hasSuffix(".") || local.contains("..") {
            throw AddressPatternError("\"\(raw)\": the part before @ is not a local part.")
        }
        if domain.isEmpty {
            guard !local.isEmpty else { throw AddressPatternError("\"@\" alone is not an address list entry.") }
            self = .localPart(local)
            return
        }
        if domain.hasPrefix("["), domain.hasSuffix("]") {
            guard local.isEmpty, let literal = AddressPattern.literal(domain) else {
                throw AddressPatternError("\"\(raw)\": an address literal is written @[192.0.2.1] or @[IPv6:2001:db8::1].")
            }
            self = .literal(literal)
            return
        }
        let bare = domain.hasPrefix(".") ? String(domain.dropFirst()) : domain
        guard Hostname.isValidDomain(bare) else {
            throw AddressPatternError("The email domain must be a domain such as example.com, not \"\(domain)\".")
        }
        if domain.hasPrefix(".") {
            guard local.isEmpty else { throw AddressPatternError("\"\(raw)\": a partial domain is written @.example.com.") }
            self = .subdomains(of: bare)
        } else {
            self = local.isEmpty ? .domain(bare) : .address(local: local, domain: bare)
        }
    }

    /// Whether an envelope address (its local part and domain) is covered by this entry. A
    /// quoted local part is the same mailbox as the unquoted one (RFC 5321 §4.1.2), and an
    /// address literal is compared as an address (`[IPv6:::1]` is `[::1]`).
    public func matches(local: String, domain: String) -> Bool {
        let local = AddressPattern.unquoted(local).lowercased()
        let domain = domain.lowercased()
        switch self {
        case .address(let l, let d): return local == l && domain == d
        case .localPart(let l): return local == l
        case .domain(let d): return domain == d
        case .literal(let d): return AddressPattern.literal(domain) == d
        case .subdomains(let d): return domain.hasSuffix("." + d)
        }
    }

    /// `[192.0.2.1]`, `[IPv6:2001:db8::1]` or `[2001:db8::1]` as one canonical text, or nil.
    public static func literal(_ domain: String) -> String? {
        guard domain.hasPrefix("["), domain.hasSuffix("]") else { return nil }
        var inner = Substring(domain.dropFirst().dropLast())
        if inner.lowercased().hasPrefix("ipv6:") { inner = inner.dropFirst(5) }
        return IPAddress(String(inner)).map { "[\($0)]" }
    }

    /// A quoted-string local part without its quotes and backslashes (`"ceo"` is `ceo`).
    public static func unquoted(_ local: String) -> String {
        guard local.count >= 2, local.hasPrefix("\""), local.hasSuffix("\"") else { return local }
        var text = ""
        var escaped = false
        for character in local.dropFirst().dropLast() {
            if !escaped && character == "\\" {
                escaped = true
                continue
            }
            escaped = false
            text.append(character)
        }
        return text
    }
}

/// Why an address list entry does not read.
public struct AddressPatternError: Error, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
}

extension Configuration {
    /// The address lists (`addresslistconfig`); absent in files written before them.
    public var addressListsValue: [AddressList] {
        get { addressLists ?? [] }
        set { addressLists = newValue.isEmpty ? nil : newValue }
    }

    public func addressList(named name: String) -> AddressList? {
        addressListsValue.first { $0.name.lowercased() == name.lowercased() }
    }

    /// Where each address list is used: `InboundMail > $ACCEPTED` and the like.
    public func addressListUsers(_ name: String) -> [String] {
        var users: [String] = []
        for listener in listeners {
            let hat = listener.hostAccess
            if hat.defaultParameters.tlsAddressList?.lowercased() == name.lowercased() {
                users.append("\(listener.name) > Default Policy Parameters")
            }
            for policy in hat.policies where policy.overrides.tlsAddressList?.lowercased() == name.lowercased() {
                users.append("\(listener.name) > $\(policy.name)")
            }
            for group in hat.senderGroups where group.overrides?.tlsAddressList?.lowercased() == name.lowercased() {
                users.append("\(listener.name) > \(group.name)")
            }
        }
        return users
    }

    func validateAddressLists(_ problems: inout Validator) {
        let lists = addressListsValue
        problems.requireUnique(lists.map(\.name), path: "addressLists", what: "address list")
        for list in lists {
            let path = "addressLists[\(list.name)]"
            if !Validator.isName(list.name) { problems.add(path, ConfigNames.rule) }
            if list.entries.isEmpty { problems.add(path + ".entries", "An address list needs at least one entry.") }
            for entry in list.entries {
                do throws(AddressPatternError) { _ = try AddressPattern(parsing: entry) } catch {
                    problems.add(path + ".entries", error.message)
                }
            }
        }
        for listener in listeners {
            let hat = listener.hostAccess
            let base = "listeners[\(listener.name)].hostAccess"
            var named: [(String, String?)] = [(base + ".defaultParameters", hat.defaultParameters.tlsAddressList)]
            named += hat.policies.map { ("\(base).policies[\($0.name)]", $0.overrides.tlsAddressList) }
            named += hat.senderGroups.map { ("\(base).senderGroups[\($0.name)]", $0.overrides?.tlsAddressList) }
            for (path, list) in named {
                guard let list, !list.isEmpty, addressList(named: list) == nil else { continue }
                problems.add(path + ".tlsAddressList", "The address list \"\(list)\" does not exist (addresslistconfig).")
            }
        }
    }
}
