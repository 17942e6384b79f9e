import PosternConfig

/// What one DNS question came back with. A temporary failure (a timeout, SERVFAIL, a refused
/// or unreachable server, too many queries in flight) is its own answer, never "no record":
/// the HAT and delivery treat the two differently (style.md §5).
public enum DNSAnswer<Records: Sendable & Equatable>: Sendable, Equatable {
    case records(Records)
    /// NOERROR with no record of the type asked (NODATA).
    case noRecords
    /// NXDOMAIN: the name does not exist.
    case nameDoesNotExist
    case temporaryFailure(String)
}

/// One MX record (RFC 5321 §5.1).
public struct MXRecord: Sendable, Equatable {
    public var preference: Int
    public var host: String

    public init(preference: Int, host: String) {
        self.preference = preference
        self.host = host
    }
}

/// The address families a forward lookup asks for.
public enum AddressFamily: Sendable {
    case ipv4
    case ipv6
    /// A and AAAA.
    case any
}
