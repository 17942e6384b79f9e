/// An IP interface of the appliance (AsyncOS `interfaceconfig`): where listeners bind.
public struct IPInterface: Codable, Hashable, Sendable {
    public var name: String
    public var address: IPAddress
    /// The prefix length of the interface's network (`/24`).
    public var prefixLength: Int
    /// The hostname the interface answers to (SMTP banner, `Received:`).
    public var hostname: String

    public init(name: String, address: IPAddress, prefixLength: Int, hostname: String) {
        self.name = name
        self.address = address
        self.prefixLength = prefixLength
        self.hostname = hostname
    }
}
