/// An IP interface of the appliance (AsyncOS `interfaceconfig`): where listeners bind.
public struct IPInterface: Codable, Hashable, Sendable {
    public var name: String
    public var address: IPAddress
    /// The prefix length of the interface's network (`/24`).
    public var prefixLength: Int
    /// The hostname the interface answers to (SMTP banner, `Received:`).
    public var hostname: String
    /// The port the web interface serves HTTPS on at this address, or nil when it does not
    /// (AsyncOS `interfaceconfig`: "Do you want to enable HTTPS on this interface?").
    public var httpsPort: Int?
    /// A plain HTTP port whose every request is redirected to HTTPS, or nil.
    public var httpPort: Int?
    /// The certificate profile HTTPS presents here; nil is the demo certificate.
    public var certificate: String?

    public init(name: String, address: IPAddress, prefixLength: Int, hostname: String, httpsPort: Int? = nil,
                httpPort: Int? = nil, certificate: String? = nil) {
        self.name = name
        self.address = address
        self.prefixLength = prefixLength
        self.hostname = hostname
        self.httpsPort = httpsPort
        self.httpPort = httpPort
        self.certificate = certificate
    }
}
