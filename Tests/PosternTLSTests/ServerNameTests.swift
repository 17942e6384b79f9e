import Testing
@testable import PosternTLS

/// SNI is the host connected to, never an address literal (RFC 6066 §3; issue 12 §5).
@Suite struct ServerNameTests {
    @Test(arguments: [
        ("mail.zeta.org", "mail.zeta.org"), ("mail.zeta.org.", "mail.zeta.org"), ("localhost", "localhost"),
        ("192.0.2.1", nil), ("[192.0.2.1]", nil), ("2001:db8::1", nil), ("[IPv6:2001:db8::1]", nil), ("", nil),
    ] as [(String, String?)])
    func serverName(host: String, expected: String?) {
        #expect(ServerNameIndication.name(forHost: host) == expected)
    }
}
