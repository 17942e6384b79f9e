/// A reverse-path or forward-path from `MAIL FROM:<…>` / `RCPT TO:<…>` (RFC 5321 §4.1.2).
public struct MailPath: Hashable, Sendable, CustomStringConvertible {
    /// `local@domain`, or empty for the null reverse-path `<>`.
    public let address: String
    public let localPart: String
    public let domain: String

    public var isNull: Bool { address.isEmpty }
    public var description: String { address }

    public static let null = MailPath(address: "", localPart: "", domain: "")

    init(address: String, localPart: String, domain: String) {
        self.address = address
        self.localPart = localPart
        self.domain = domain
    }

    /// Parses `<…>` with an optional source route (`<@a,@b:user@d>`, which is ignored as
    /// RFC 5321 §4.1.1.3 allows). `defaultDomain` completes a bare local part.
    public static func parse(_ text: Substring, allowNull: Bool, defaultDomain: String = "") -> Result<MailPath, PathError> {
        guard text.first == "<", text.last == ">", text.count >= 2 else { return .failure(.missingBrackets) }
        var inner = text.dropFirst().dropLast()
        if inner.isEmpty { return allowNull ? .success(.null) : .failure(.empty) }
        if inner.first == "@" {
            guard let colon = inner.firstIndex(of: ":") else { return .failure(.invalid) }
            inner = inner[inner.index(after: colon)...]
        }
        guard inner.utf8.count <= 254 else { return .failure(.tooLong) }
        guard let at = inner.lastIndex(of: "@") else {
            guard !defaultDomain.isEmpty, isLocalPart(inner) else { return .failure(.noDomain) }
            return .success(MailPath(address: "\(inner)@\(defaultDomain)", localPart: String(inner), domain: defaultDomain))
        }
        let local = inner[..<at]
        let domain = inner[inner.index(after: at)...]
        guard isLocalPart(local) else { return .failure(.invalid) }
        guard isDomain(domain) else { return .failure(.invalidDomain) }
        return .success(MailPath(address: String(inner), localPart: String(local), domain: String(domain)))
    }

    public enum PathError: Error, Sendable, Hashable, CustomStringConvertible {
        case missingBrackets, empty, noDomain, invalid, invalidDomain, tooLong

        public var description: String {
            switch self {
            case .missingBrackets: return "the address must be in angle brackets"
            case .empty: return "the address is empty"
            case .noDomain: return "the address has no domain"
            case .invalid: return "the address is not valid"
            case .invalidDomain: return "the domain is not valid"
            case .tooLong: return "the address is too long"
            }
        }
    }

    /// Dot-atom or quoted-string (RFC 5321 §4.1.2), at most 64 octets.
    static func isLocalPart(_ s: Substring) -> Bool {
        guard !s.isEmpty, s.utf8.count <= 64 else { return false }
        if s.first == "\"" {
            guard s.count >= 2, s.last == "\"" else { return false }
            return !s.dropFirst().dropLast().contains { $0 == "\r" || $0 == "\n" }
        }
        let atext = "!#$%&'*+-/=?^_`{|}~"
        guard !s.hasPrefix("."), !s.hasSuffix("."), !s.contains("..") else { return false }
        return s.unicodeScalars.allSatisfy { c in
            (c.isASCII && (c.properties.isAlphabetic || ("0"..."9").contains(c) || atext.unicodeScalars.contains(c)
                || c == ".")) || c.value > 0x7f  // SMTPUTF8-style local parts are passed through
        }
    }

    /// A hostname or an address literal `[192.0.2.1]` / `[IPv6:…]`.
    static func isDomain(_ s: Substring) -> Bool {
        if s.first == "[" { return s.last == "]" && s.count > 2 }
        let labels = s.split(separator: ".", omittingEmptySubsequences: false)
        guard !labels.isEmpty, s.utf8.count <= 253 else { return false }
        return labels.allSatisfy { label in
            !label.isEmpty && label.utf8.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.unicodeScalars.allSatisfy { $0.value > 0x7f || $0.properties.isAlphabetic
                    || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" }
        }
    }
}
