import Foundation
import PosternConfig

/// The IP addresses configured on this host (getifaddrs), for `commitcheck`'s warning that an
/// interface names an address the engine will not be able to listen on.
enum LocalAddresses {
    static func current() -> Set<IPAddress> {
        var first: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&first) == 0 else { return [] }
        defer { freeifaddrs(first) }
        var found: Set<IPAddress> = []
        var next = first
        while let entry = next {
            defer { next = entry.pointee.ifa_next }
            guard let address = entry.pointee.ifa_addr else { continue }
            var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            let length = address.pointee.sa_family == UInt16(AF_INET6) ? MemoryLayout<sockaddr_in6>.size
                : MemoryLayout<sockaddr_in>.size
            guard [UInt16(AF_INET), UInt16(AF_INET6)].contains(address.pointee.sa_family),
                getnameinfo(address, socklen_t(length), &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0
            else { continue }
            // A link-local IPv6 address comes back with its zone (`fe80::1%eth0`).
            let text = String(cString: host).split(separator: "%").first.map(String.init) ?? ""
            if let ip = IPAddress(text) { found.insert(ip) }
        }
        return found
    }

    /// The interfaces used by a listener whose address is neither a wildcard nor on this host.
    static func missing(in configuration: Configuration, local: Set<IPAddress> = current()) -> [IPInterface] {
        let used = Set(configuration.listeners.map(\.interface))
        let wildcards: Set<IPAddress> = [IPAddress("0.0.0.0")!, IPAddress("::")!]
        return configuration.interfaces.filter {
            used.contains($0.name) && !wildcards.contains($0.address) && !local.contains($0.address)
        }
    }
}
