import Foundation
import NIOConcurrencyHelpers
import NIOCore
import PosternConfig
import PosternPolicy

/// Remembers reverse-DNS answers for a while: mail servers reconnect often, and the lookup
/// (PTR, then a forward query) would otherwise run for every connection. An answer lives 60
/// seconds, a temporary failure 10; the cache holds at most `capacity` addresses.
final class ReverseDNSCache: Sendable {
    private let entries = NIOLockedValueBox<[IPAddress: (ReverseDNSResult, NIODeadline)]>([:])
    private let capacity: Int

    init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    func lookup(_ address: IPAddress) -> ReverseDNSResult {
        let now = NIODeadline.now()
        if let (result, expiry) = entries.withLockedValue({ $0[address] }), expiry > now { return result }
        let result = ReverseDNS.lookup(address)
        let ttl: TimeAmount = result == .temporaryFailure ? .seconds(10) : .seconds(60)
        entries.withLockedValue { cache in
            if cache.count >= capacity { cache.removeAll(keepingCapacity: true) }
            cache[address] = (result, now + ttl)
        }
        return result
    }
}

/// Reverse DNS with forward confirmation, as the HAT needs for hostname entries and the
/// mail log prints (`reverse dns host … verified yes`). Blocking resolver calls: run it on
/// the thread pool, never on an event loop.
enum ReverseDNS {
    static func lookup(_ address: IPAddress) -> ReverseDNSResult {
        var storage = sockaddr_storage()
        let length = fill(&storage, address)
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        let rc = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getnameinfo($0, length, &host, socklen_t(host.count), nil, 0, NI_NAMEREQD)
            }
        }
        switch rc {
        case 0: break
        case EAI_AGAIN: return .temporaryFailure
        default: return .unverified(nil)
        }
        let name = host.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        var hints = addrinfo()
        hints.ai_family = address.isIPv4 ? AF_INET : AF_INET6
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let forward = getaddrinfo(name, nil, &hints, &result)
        defer { if let result { freeaddrinfo(result) } }
        if forward == EAI_AGAIN { return .temporaryFailure }
        guard forward == 0 else { return .unverified(name) }
        var cursor = result
        while let info = cursor {
            if let sa = info.pointee.ai_addr, IPAddress(sockaddr: sa) == address { return .verified(name) }
            cursor = info.pointee.ai_next
        }
        return .unverified(name)
    }

    private static func fill(_ storage: inout sockaddr_storage, _ address: IPAddress) -> socklen_t {
        withUnsafeMutablePointer(to: &storage) { pointer in
            switch address {
            case .v4(let value):
                return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                    $0.pointee.sin_family = sa_family_t(AF_INET)
                    $0.pointee.sin_addr.s_addr = value.bigEndian
                    return socklen_t(MemoryLayout<sockaddr_in>.size)
                }
            case .v6(let value):
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                    $0.pointee.sin6_family = sa_family_t(AF_INET6)
                    withUnsafeMutableBytes(of: &$0.pointee.sin6_addr) { raw in
                        for i in 0..<16 { raw[i] = UInt8(truncatingIfNeeded: value >> UInt128(8 * (15 - i))) }
                    }
                    return socklen_t(MemoryLayout<sockaddr_in6>.size)
                }
            }
        }
    }
}

extension IPAddress {
    /// The address of a socket address, IPv4-mapped IPv6 read as IPv4.
    init?(sockaddr pointer: UnsafePointer<sockaddr>) {
        switch Int32(pointer.pointee.sa_family) {
        case AF_INET:
            let value = pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt32(bigEndian: $0.pointee.sin_addr.s_addr) }
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
}
