import Foundation

/// An IPv4 or IPv6 address as a number, so that ranges and prefixes are arithmetic.
public enum IPAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    case v4(UInt32)
    case v6(UInt128)

    /// Parses dotted-quad IPv4 (exactly four decimal octets) or any IPv6 text form.
    public init?(_ text: String) {
        if let v4 = IPAddress.parseIPv4(text) {
            self = .v4(v4)
        } else if text.utf8.contains(0x3A), let v6 = IPAddress.parseIPv6(text) {
            self = .v6(v6)
        } else {
            return nil
        }
    }

    /// The width in bits of this address family.
    public var bitWidth: Int {
        switch self {
        case .v4: return 32
        case .v6: return 128
        }
    }

    public var isIPv4: Bool {
        if case .v4 = self { return true }
        return false
    }

    /// The address as a 128-bit value; IPv4 keeps its own 32-bit value (families never mix in a comparison).
    public var value: UInt128 {
        switch self {
        case .v4(let v): return UInt128(v)
        case .v6(let v): return v
        }
    }

    /// IPv4-mapped IPv6 (`::ffff:a.b.c.d`) as plain IPv4; everything else unchanged.
    public var unmapped: IPAddress {
        if case .v6(let v) = self, v >> 32 == 0xffff {
            return .v4(UInt32(truncatingIfNeeded: v))
        }
        return self
    }

    public var isLoopback: Bool {
        switch self {
        case .v4(let v): return v >> 24 == 127
        case .v6(let v): return v == 1
        }
    }

    public var description: String {
        switch self {
        case .v4(let v):
            return "\(v >> 24).\((v >> 16) & 0xff).\((v >> 8) & 0xff).\(v & 0xff)"
        case .v6(let v):
            var bytes = [UInt8](repeating: 0, count: 16)
            for i in 0..<16 { bytes[i] = UInt8(truncatingIfNeeded: v >> UInt128(8 * (15 - i))) }
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            let ok = bytes.withUnsafeBytes { raw in
                inet_ntop(AF_INET6, raw.baseAddress, &buffer, socklen_t(buffer.count)) != nil
            }
            guard ok else { return "::" }
            return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        }
    }

    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        switch (lhs, rhs) {
        case (.v4(let a), .v4(let b)): return a < b
        case (.v6(let a), .v6(let b)): return a < b
        case (.v4, .v6): return true
        case (.v6, .v4): return false
        }
    }

    /// Strict dotted quad: four decimal octets 0-255, no leading `+`, no empty parts.
    static func parseIPv4(_ text: String) -> UInt32? {
        parseIPv4(Array(text.utf8)[...])
    }

    /// Exactly four decimal octets separated by dots.
    static func parseIPv4(_ bytes: ArraySlice<UInt8>) -> UInt32? {
        let parts = bytes.split(separator: 0x2E, omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard let octet = parseOctet(part) else { return nil }
            value = value << 8 | UInt32(octet)
        }
        return value
    }

    static func parseOctet(_ part: Substring) -> UInt8? {
        parseDecimal(part.utf8, max: 255).map(UInt8.init)
    }

    static func parseOctet(_ part: ArraySlice<UInt8>) -> UInt8? {
        parseDecimal(part, max: 255).map(UInt8.init)
    }

    /// One to three decimal digits, at most `max`.
    static func parseDecimal(_ bytes: some Collection<UInt8>, max: Int) -> Int? {
        guard !bytes.isEmpty, bytes.count <= 3 else { return nil }
        var value = 0
        for byte in bytes {
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        return value <= max ? value : nil
    }

    static func parseIPv6(_ text: String) -> UInt128? {
        // inet_pton reads a C string: it would stop at a NUL and take "BA::\0junk" for BA::
        // (found by Fuzz/HATText). Only hex digits, colons and the dots of an embedded IPv4.
        guard text.utf8.count <= 45, text.utf8.allSatisfy(IPAddress.isIPv6Byte) else { return nil }
        var bytes = [UInt8](repeating: 0, count: 16)
        let ok = bytes.withUnsafeMutableBytes { raw in inet_pton(AF_INET6, text, raw.baseAddress) == 1 }
        guard ok else { return nil }
        return bytes.reduce(UInt128(0)) { $0 << 8 | UInt128($1) }
    }

    private static func isIPv6Byte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x46, 0x61...0x66, 0x3A, 0x2E: return true
        default: return false
        }
    }
}

extension IPAddress: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let address = IPAddress(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "\"\(text)\" is not an IP address.")
        }
        self = address
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
