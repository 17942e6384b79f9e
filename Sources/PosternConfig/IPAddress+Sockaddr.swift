import Foundation

extension IPAddress {
    /// The address of a socket address, IPv4-mapped IPv6 read as IPv4.
    public init?(sockaddr pointer: UnsafePointer<sockaddr>) {
        switch Int32(pointer.pointee.sa_family) {
        case AF_INET:
            let value = pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                UInt32(bigEndian: $0.pointee.sin_addr.s_addr)
            }
            self = .v4(value)
        case AF_INET6:
            let value = pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { p -> UInt128 in
                withUnsafeBytes(of: p.pointee.sin6_addr) { $0.reduce(UInt128(0)) { $0 << 8 | UInt128($1) } }
            }
            self = IPAddress.v6(value).unmapped
        default:
            return nil
        }
    }

    /// The address in network byte order, as `in_addr`/`in6_addr` hold it.
    public var networkBytes: [UInt8] {
        switch self {
        case .v4(let value): return (0..<4).map { UInt8(truncatingIfNeeded: value >> UInt32(8 * (3 - $0))) }
        case .v6(let value): return (0..<16).map { UInt8(truncatingIfNeeded: value >> UInt128(8 * (15 - $0))) }
        }
    }
}
