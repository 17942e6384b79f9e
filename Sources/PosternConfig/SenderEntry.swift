/// One host specification in a sender group, in the syntax of asyncos-cli.md §2.2.
/// It keeps the text as the administrator wrote it (PRINT shows it back) and what it means.
public struct SenderEntry: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        /// Addresses, CIDRs, ranges and partial IPs: an inclusive range of one family.
        case addresses(IPAddress, IPAddress)
        /// `mail.example.com`: the connecting host's verified reverse-DNS name, exactly.
        case hostname(String)
        /// `.example.com`: any verified reverse-DNS name within that domain.
        case domainSuffix(String)
        /// `SBRS[lo:hi]`, inclusive, -10.0 … +10.0.
        case reputation(Double, Double)
        /// `SBRS[none]`: the host has no reputation score.
        case noReputation
        /// `SBO:n`: a SenderBase network owner.
        case networkOwner(Int)
        /// `dnslist[zone]`: listed in a DNS list.
        case dnsList(String)
    }

    public let text: String
    public let kind: Kind

    public var description: String { text }

    /// Parses one entry; the error is a sentence for the administrator.
    public init(parsing raw: String) throws(SenderEntryError) {
        let padded = SenderEntry.isBlank(raw.utf8.first) || SenderEntry.isBlank(raw.utf8.last)
        let text = padded ? raw.trimmingWhitespace() : raw
        guard !text.isEmpty else { throw SenderEntryError("An empty sender is not allowed.") }
        self.text = text
        self.kind = try SenderEntry.parseKind(text)
    }

    private static func parseKind(_ text: String) throws(SenderEntryError) -> Kind {
        // The common case first, on bytes: an IPv4 form (tables of a million entries load
        // at every commit and reload; Character-level checks cost ten times more).
        let bytes = text.utf8
        if bytes.allSatisfy(SenderEntry.isIPv4Byte) {
            return try parseIPv4(text)
        }
        let upper = bytes.count <= 8 || "sSdDaA".utf8.contains(bytes.first!) ? text.uppercased() : ""
        if upper == "ALL" {
            throw SenderEntryError("\"ALL\" is the last sender group of every table, not a sender.")
        }
        if upper.hasPrefix("SBRS[") {
            return try parseReputation(text)
        }
        if upper.hasPrefix("SBO:") {
            guard let id = Int(text.dropFirst(4)), id >= 0 else {
                throw SenderEntryError("A SenderBase network owner is written SBO:12345.")
            }
            return .networkOwner(id)
        }
        if upper.hasPrefix("DNSLIST[") {
            guard text.hasSuffix("]") else { throw SenderEntryError("A DNS list is written dnslist[zone.example].") }
            let zone = String(text.dropFirst(8).dropLast()).lowercased()
            guard Hostname.isValid(zone) else { throw SenderEntryError("\"\(zone)\" is not a valid DNS list zone.") }
            return .dnsList(zone)
        }
        if bytes.contains(0x3A) {  // ':'
            return try parseIPv6(text)
        }
        if text.hasPrefix(".") {
            let domain = String(text.dropFirst()).lowercased()
            guard Hostname.isValid(domain) else { throw SenderEntryError("A hostname must be like .example.com.") }
            return .domainSuffix(domain)
        }
        let host = text.lowercased()
        guard Hostname.isValid(host) else {
            throw SenderEntryError("Invalid hostname format \"\(text)\".")
        }
        return .hostname(host)
    }

    private static func isBlank(_ byte: UInt8?) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    /// A digit, `.`, `-` or `/`: the only bytes of the IPv4 forms.
    private static func isIPv4Byte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x2E, 0x2D, 0x2F: return true
        default: return false
        }
    }

    private static func parseReputation(_ text: String) throws(SenderEntryError) -> Kind {
        guard text.hasSuffix("]") else { throw SenderEntryError("A reputation range is written SBRS[-1.0:10.0].") }
        let inner = text.dropFirst(5).dropLast()
        if inner.lowercased() == "none" { return .noReputation }
        let bounds = inner.split(separator: ":", omittingEmptySubsequences: false)
        guard bounds.count == 2, let lo = Double(bounds[0]), let hi = Double(bounds[1]) else {
            throw SenderEntryError("A reputation range is written SBRS[-1.0:10.0].")
        }
        guard (-10...10).contains(lo), (-10...10).contains(hi), lo <= hi else {
            throw SenderEntryError("Reputation scores must be between -10.0 and 10.0, the lower one first.")
        }
        return .reputation(lo, hi)
    }

    private static func parseIPv6(_ text: String) throws(SenderEntryError) -> Kind {
        if let slash = text.firstIndex(of: "/") {
            guard case .v6(let base)? = IPAddress(String(text[..<slash])),
                let bits = Int(text[text.index(after: slash)...]), (0...128).contains(bits)
            else { throw SenderEntryError("A CIDR address is an IP address followed by /0 to /128.") }
            let mask: UInt128 = bits == 0 ? 0 : ~UInt128(0) << UInt128(128 - bits)
            return .addresses(.v6(base & mask), .v6(base | ~mask))
        }
        if let dash = text.firstIndex(of: "-") {
            guard case .v6(let lo)? = IPAddress(String(text[..<dash])),
                case .v6(let hi)? = IPAddress(String(text[text.index(after: dash)...])), lo <= hi
            else { throw SenderEntryError("Invalid IP or IP range \"\(text)\".") }
            return .addresses(.v6(lo), .v6(hi))
        }
        guard case .v6(let address)? = IPAddress(text) else {
            throw SenderEntryError("Invalid IP or IP range \"\(text)\".")
        }
        return .addresses(.v6(address), .v6(address))
    }

    /// IPv4 forms: `n.n.n.n`, CIDR `n[.n[.n[.n]]]/c`, partial `n.n.n.` / `n.n.n`, and ranges
    /// `n.n.n.n-n`, `n.n.n-n.`, `n-n` where the range applies to the last octet given and the
    /// octets not given match anything.
    /// The IPv4 forms, on bytes (String searches go through Foundation and cost ten times
    /// more at a million entries): `10.1.1.0/24` (missing octets are 0), `10.1.1.1-10.1.1.20`,
    /// `10.1.1.1-20`, and the partial `10.1.1.` / `10.1`.
    private static func parseIPv4(_ text: String) throws(SenderEntryError) -> Kind {
        let bytes = Array(text.utf8)
        let dot: UInt8 = 0x2E, dash: UInt8 = 0x2D
        if let slash = bytes.firstIndex(of: 0x2F) {
            let address = bytes[..<slash]
            let octets = address.split(separator: dot)
            guard (1...4).contains(octets.count), !address.contains(dash),
                let bits = IPAddress.parseDecimal(bytes[(slash + 1)...], max: 32)
            else { throw SenderEntryError("A CIDR address is an IP address followed by /0 to /32.") }
            var base: UInt32 = 0
            for i in 0..<4 {
                var octet: UInt8 = 0
                if i < octets.count {
                    guard let o = IPAddress.parseOctet(octets[i]) else {
                        throw SenderEntryError("The IP address must be 4 numbers between 0 and 255.")
                    }
                    octet = o
                }
                base = base << 8 | UInt32(octet)
            }
            let mask: UInt32 = bits == 0 ? 0 : ~UInt32(0) << UInt32(32 - bits)
            return .addresses(.v4(base & mask), .v4(base | ~mask))
        }
        // A full range `10.1.1.1-10.1.1.20`.
        if let at = bytes.firstIndex(of: dash), bytes[(at + 1)...].count(where: { $0 == dot }) == 3 {
            guard let lo = IPAddress.parseIPv4(bytes[..<at]), let hi = IPAddress.parseIPv4(bytes[(at + 1)...]), lo <= hi
            else { throw SenderEntryError("Invalid IP or IP range \"\(text)\".") }
            return .addresses(.v4(lo), .v4(hi))
        }
        var body = bytes[...]
        if body.last == dot { body = body.dropLast() }
        let parts = body.split(separator: dot, omittingEmptySubsequences: false)
        guard (1...4).contains(parts.count) else { throw SenderEntryError("Invalid IP or IP range \"\(text)\".") }
        var lo: UInt32 = 0
        var hi: UInt32 = 0
        for (i, part) in parts.enumerated() {
            var first: UInt8
            var last: UInt8
            if i == parts.count - 1, let at = part.firstIndex(of: dash) {
                guard let a = IPAddress.parseOctet(part[..<at]), let b = IPAddress.parseOctet(part[(at + 1)...]), a <= b
                else { throw SenderEntryError("Invalid IP or IP range \"\(text)\".") }
                first = a
                last = b
            } else {
                guard let o = IPAddress.parseOctet(part) else {
                    throw SenderEntryError("Invalid IP or IP range \"\(text)\".")
                }
                first = o
                last = o
            }
            lo = lo << 8 | UInt32(first)
            hi = hi << 8 | UInt32(last)
        }
        let missing = UInt32(4 - parts.count)
        if missing > 0 {
            lo <<= 8 * missing
            hi = hi << (8 * missing) | (UInt32(1) << (8 * missing) - 1)
        }
        return .addresses(.v4(lo), .v4(hi))
    }
}

extension SenderEntry: Codable {
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

/// Why a sender entry could not be read, as a sentence.
public struct SenderEntryError: Error, Hashable, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Hostname syntax (RFC 1123 labels), shared by every hostname the configuration holds.
public enum Hostname {
    /// A mail domain or a host to look up in the DNS (destinations, routes, certificate
    /// names): a hostname without underscores whose last label is not all digits, since a
    /// host name never has the dotted-decimal form (RFC 1123 §2.1), so `999.999.999.999`
    /// is neither an address nor a name.
    public static func isValidDomain(_ name: String) -> Bool {
        let trimmed = name.hasSuffix(".") ? String(name.dropLast()) : name
        guard isValid(name), !name.contains("_"), let last = trimmed.split(separator: ".").last else { return false }
        return !last.allSatisfy(\.isNumber)
    }

    /// A DNS name for a certificate's subjectAltName: a domain, or `*.` and a domain.
    public static func isValidCertificateName(_ name: String) -> Bool {
        isValidDomain(name.hasPrefix("*.") ? String(name.dropFirst(2)) : name)
    }

    public static func isValid(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 253 else { return false }
        let trimmed = name.hasSuffix(".") ? String(name.dropLast()) : name
        let labels = trimmed.split(separator: ".", omittingEmptySubsequences: false)
        return labels.allSatisfy { label in
            !label.isEmpty && label.utf8.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
        }
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s = s.dropFirst() }
        while let c = s.last, c.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
