import PosternConfig

/// A reverse-path or forward-path from `MAIL FROM:<…>` / `RCPT TO:<…>` (RFC 5321 §4.1.2).
public struct MailPath: Hashable, Sendable, CustomStringConvertible {
    /// `local@domain`, or empty for the null reverse-path `<>`.
    public let address: String
    public let localPart: String
    public let domain: String

    public var isNull: Bool { address.isEmpty }
    /// `<Postmaster>` without a domain (RFC 5321 §4.5.1).
    public var isBarePostmaster: Bool { domain.isEmpty && !address.isEmpty }
    public var description: String { address }

    public static let null = MailPath(address: "", localPart: "", domain: "")

    init(address: String, localPart: String, domain: String) {
        self.address = address
        self.localPart = localPart
        self.domain = domain
    }

    /// Parses `<…>` with an optional source route (`<@a,@b:user@d>`, which is ignored as
    /// RFC 5321 §4.1.1.3 allows). `defaultDomain` completes a bare local part. With
    /// `allowPostmaster`, `<Postmaster>` without a domain is a path whose domain is empty
    /// (RFC 5321 §4.5.1: a server must accept it; the session names the domain).
    public static func parse(_ text: Substring, allowNull: Bool, allowPostmaster: Bool = false, defaultDomain: String = "")
        -> Result<MailPath, PathError>
    {
        guard text.first == "<", text.last == ">", text.count >= 2 else { return .failure(.missingBrackets) }
        var inner = text.dropFirst().dropLast()
        if inner.isEmpty { return allowNull ? .success(.null) : .failure(.empty) }
        if inner.first == "@" {
            guard let colon = inner.firstIndex(of: ":") else { return .failure(.invalid) }
            inner = inner[inner.index(after: colon)...]
        }
        guard inner.utf8.count <= 254 else { return .failure(.tooLong) }
        guard let at = inner.lastIndex(of: "@") else {
            if allowPostmaster && defaultDomain.isEmpty && inner.utf8.equals(caseInsensitive: "POSTMASTER") {
                return .success(MailPath(address: "postmaster", localPart: "postmaster", domain: ""))
            }
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

    /// Dot-atom or quoted-string (RFC 5321 §4.1.2), at most 64 octets. Bytes above ASCII
    /// are passed through (SMTPUTF8-style local parts).
    static func isLocalPart(_ s: Substring) -> Bool {
        let bytes = s.utf8
        guard !bytes.isEmpty, bytes.count <= 64 else { return false }
        if bytes.first == UInt8(ascii: "\"") {
            guard bytes.count >= 2, bytes.last == UInt8(ascii: "\"") else { return false }
            // qtextSMTP and quoted-pairSMTP are printable ASCII (and UTF-8): no control bytes.
            return !bytes.dropFirst().dropLast().contains { $0 < 0x20 || $0 == 0x7f }
        }
        guard bytes.first != UInt8(ascii: "."), bytes.last != UInt8(ascii: ".") else { return false }
        var previous: UInt8 = 0
        for byte in bytes {
            guard byte >= 0x80 || atext[Int(byte)] || byte == UInt8(ascii: ".") else { return false }
            if byte == UInt8(ascii: "."), previous == byte { return false }
            previous = byte
        }
        return true
    }

    /// RFC 5322 atext, indexed by ASCII byte.
    private static let atext: [Bool] = (0..<128).map { byte in
        let c = UInt8(byte)
        return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39)
            || "!#$%&'*+-/=?^_`{|}~".utf8.contains(c)
    }

    /// `[192.0.2.1]` or `[IPv6:2001:db8::1]` (RFC 5321 §4.1.3). General address literals
    /// (`[tag:…]`) name no standardised tag but IPv6 and are refused, as Postfix does.
    static func isAddressLiteral(_ s: Substring) -> Bool {
        guard s.first == "[", s.last == "]", s.count > 2 else { return false }
        let inner = s.dropFirst().dropLast()
        if inner.utf8.hasPrefix(caseInsensitive: "IPV6:") {
            if case .v6 = IPAddress(String(inner.dropFirst(5))) { return true }
            return false
        }
        return IPAddress(String(inner))?.isIPv4 == true  // exactly four decimal octets
    }

    /// A hostname or an address literal `[192.0.2.1]` / `[IPv6:…]`. Labels are letters,
    /// digits, `-` and `_` (or bytes above ASCII, U-labels), not starting or ending in `-`.
    static func isDomain(_ s: Substring) -> Bool {
        let bytes = s.utf8
        if bytes.first == UInt8(ascii: "[") { return isAddressLiteral(s) }
        guard !bytes.isEmpty, bytes.count <= 253 else { return false }
        // One pass over the bytes (this runs for every EHLO and every address).
        var labelLength = 0
        var previous: UInt8 = UInt8(ascii: ".")
        for byte in bytes {
            if byte == UInt8(ascii: ".") {
                guard labelLength > 0, previous != UInt8(ascii: "-") else { return false }
                labelLength = 0
            } else {
                let letterOrDigit = ((byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7a) || (byte >= 0x30 && byte <= 0x39)
                guard byte >= 0x80 || letterOrDigit || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") else {
                    return false
                }
                guard labelLength > 0 || byte != UInt8(ascii: "-") else { return false }
                labelLength += 1
                guard labelLength <= 63 else { return false }
            }
            previous = byte
        }
        guard labelLength > 0, previous != UInt8(ascii: "-") else { return false }
        return true
    }
}
