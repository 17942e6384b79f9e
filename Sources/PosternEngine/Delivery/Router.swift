import CPosternShims.Resolv
import Foundation
import PosternConfig

/// Where a domain's mail goes: `smtproutes` first, otherwise the MX records from DNS (the
/// system resolver through libresolv), otherwise the domain's own address records.
/// Blocking: runs on the thread pool.
enum Router {
    struct NextHop: Sendable, Equatable {
        var host: String
        var port: Int
        var addresses: [IPAddress]
    }

    enum Result: Sendable, Equatable {
        case hops([NextHop])
        /// `/dev/null`: accept and drop.
        case discard
        case temporaryFailure(String)
        case permanentFailure(String, enhanced: String)
    }

    static func resolve(domain: String, delivery: DeliveryConfiguration) -> Result {
        if let route = delivery.route(for: domain) {
            if route.destinations == [.discard] { return .discard }
            var hops: [NextHop] = []
            let ordered = route.destinations.enumerated().sorted { a, b in
                func priority(_ d: RouteDestination) -> Int {
                    if case .host(_, _, let p) = d { return p }
                    return Int.max
                }
                return (priority(a.element), a.offset) < (priority(b.element), b.offset)
            }
            for (_, destination) in ordered {
                switch destination {
                case .host(let name, let port, _):
                    if let literal = IPAddress(name) {
                        hops.append(NextHop(host: name, port: port, addresses: [literal]))
                    } else {
                        let addresses = addresses(of: name)
                        if !addresses.isEmpty { hops.append(NextHop(host: name, port: port, addresses: addresses)) }
                    }
                case .useDNS:
                    if case .hops(let dns) = fromDNS(domain) { hops += dns }
                case .discard:
                    break
                }
            }
            return hops.isEmpty ? .temporaryFailure("no destination of the route for \(domain) resolves") : .hops(hops)
        }
        return fromDNS(domain)
    }

    static func fromDNS(_ domain: String) -> Result {
        if domain.hasPrefix("["), domain.hasSuffix("]"), let literal = IPAddress(String(domain.dropFirst().dropLast())) {
            return .hops([NextHop(host: domain, port: 25, addresses: [literal])])
        }
        var records = [postern_mx_record](repeating: postern_mx_record(), count: 32)
        let count = postern_mx_lookup(domain, &records, Int32(records.count))
        switch count {
        case -2:
            return .permanentFailure("the domain \(domain) does not exist", enhanced: "5.1.2")
        case -1:
            return .temporaryFailure("DNS lookup of the MX records of \(domain) failed")
        case 0:
            // No MX: the domain itself is the mail host (RFC 5321 §5.1).
            let addresses = addresses(of: domain)
            return addresses.isEmpty ? .temporaryFailure("\(domain) has no MX and no address record")
                : .hops([NextHop(host: domain, port: 25, addresses: addresses)])
        default:
            let mx = records.prefix(Int(count)).map { record -> (Int, String) in
                var copy = record
                let host = withUnsafeBytes(of: &copy.host) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
                return (Int(record.preference), host.lowercased())
            }.sorted { $0.0 < $1.0 }
            // A single MX of "." (RFC 7505): the domain accepts no mail.
            if mx.count == 1 && (mx[0].1.isEmpty || mx[0].1 == ".") {
                return .permanentFailure("\(domain) accepts no mail (null MX)", enhanced: "5.1.10")
            }
            let hops = mx.compactMap { _, host -> NextHop? in
                let addresses = addresses(of: host)
                return addresses.isEmpty ? nil : NextHop(host: host, port: 25, addresses: addresses)
            }
            return hops.isEmpty ? .temporaryFailure("no MX host of \(domain) resolves") : .hops(hops)
        }
    }

    static func addresses(of host: String) -> [IPAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0 else { return [] }
        defer { freeaddrinfo(result) }
        var out: [IPAddress] = []
        var cursor = result
        while let info = cursor {
            if let sa = info.pointee.ai_addr, let address = IPAddress(sockaddr: sa), !out.contains(address) {
                out.append(address)
            }
            cursor = info.pointee.ai_next
        }
        return out
    }
}
