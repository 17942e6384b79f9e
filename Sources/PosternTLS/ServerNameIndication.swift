import PosternConfig

/// The name a client sends in the TLS server_name extension. RFC 6066 §3: a DNS host name,
/// without the trailing dot; "literal IPv4 and IPv6 addresses are not permitted". Delivery and
/// `tlsverify` both send the host they connect to (the MX host, or the route's host), so
/// the two see the same certificate.
public enum ServerNameIndication {
    /// `host` as SNI, or nil when it is an address literal (`192.0.2.1`, `[192.0.2.1]`,
    /// `[IPv6:2001:db8::1]`, `2001:db8::1`) or empty.
    public static func name(forHost host: String) -> String? {
        var name = Substring(host)
        if name.hasPrefix("[") && name.hasSuffix("]") { return nil }
        if name.hasSuffix(".") { name = name.dropLast() }
        guard !name.isEmpty, IPAddress(String(name)) == nil, !name.contains(":") else { return nil }
        return String(name)
    }
}
