import NIOCore
import PosternConfig
import PosternDNS

/// Where a domain's mail goes: `smtproutes` first, otherwise the MX records from DNS,
/// otherwise the domain's own address records (RFC 5321 §5.1). Asynchronous on the resolver;
/// every lookup ends by `lookupTimeout` as a temporary failure.
struct Router {
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

    /// How long one MX or address lookup may take before the message is deferred.
    static let lookupTimeout: TimeAmount = .seconds(30)

    let resolver: DNSResolver
    let loop: EventLoop

    func resolve(domain: String, delivery: DeliveryConfiguration) -> EventLoopFuture<Result> {
        guard let route = delivery.route(for: domain) else { return fromDNS(domain) }
        if route.destinations == [.discard] { return loop.makeSucceededFuture(.discard) }
        let ordered = route.destinations.enumerated().sorted { a, b in
            func priority(_ d: RouteDestination) -> Int {
                if case .host(_, _, let p) = d { return p }
                return Int.max
            }
            return (priority(a.element), a.offset) < (priority(b.element), b.offset)
        }.map(\.element)
        let lookups = ordered.map { destination -> EventLoopFuture<[NextHop]> in
            switch destination {
            case .host(let name, let port, _):
                if let literal = IPAddress(name) {
                    return loop.makeSucceededFuture([NextHop(host: name, port: port, addresses: [literal])])
                }
                return addresses(of: name).map { $0.isEmpty ? [] : [NextHop(host: name, port: port, addresses: $0)] }
            case .useDNS:
                return fromDNS(domain).map { if case .hops(let dns) = $0 { return dns } else { return [] } }
            case .discard:
                return loop.makeSucceededFuture([])
            }
        }
        return EventLoopFuture.whenAllSucceed(lookups, on: loop).map { found in
            let hops = found.flatMap { $0 }
            return hops.isEmpty ? .temporaryFailure("no destination of the route for \(domain) resolves") : .hops(hops)
        }
    }

    func fromDNS(_ domain: String) -> EventLoopFuture<Result> {
        if domain.hasPrefix("["), domain.hasSuffix("]"), let literal = IPAddress(String(domain.dropFirst().dropLast())) {
            return loop.makeSucceededFuture(.hops([NextHop(host: domain, port: 25, addresses: [literal])]))
        }
        return resolver.mx(domain, on: loop, deadline: .now() + Router.lookupTimeout).flatMap { answer in
            switch answer {
            case .nameDoesNotExist:
                return loop.makeSucceededFuture(.permanentFailure("the domain \(domain) does not exist", enhanced: "5.1.2"))
            case .temporaryFailure(let why):
                return loop.makeSucceededFuture(.temporaryFailure("DNS lookup of the MX records of \(domain) failed: \(why)"))
            case .noRecords:
                // No MX: the domain itself is the mail host (RFC 5321 §5.1).
                return addresses(of: domain).map { addresses in
                    addresses.isEmpty ? .temporaryFailure("\(domain) has no MX and no address record")
                        : .hops([NextHop(host: domain, port: 25, addresses: addresses)])
                }
            case .records(let records):
                let mx = records.map { (preference: $0.preference, host: $0.host.lowercased()) }
                    .enumerated().sorted { ($0.element.preference, $0.offset) < ($1.element.preference, $1.offset) }
                    .map(\.element)
                // A single MX of "." (RFC 7505): the domain accepts no mail.
                if mx.count == 1 && (mx[0].host.isEmpty || mx[0].host == ".") {
                    return loop.makeSucceededFuture(
                        .permanentFailure("\(domain) accepts no mail (null MX)", enhanced: "5.1.10"))
                }
                let lookups = mx.map { record in
                    addresses(of: record.host).map { addresses -> NextHop? in
                        addresses.isEmpty ? nil : NextHop(host: record.host, port: 25, addresses: addresses)
                    }
                }
                return EventLoopFuture.whenAllSucceed(lookups, on: loop).map { found in
                    let hops = found.compactMap { $0 }
                    return hops.isEmpty ? .temporaryFailure("no MX host of \(domain) resolves") : .hops(hops)
                }
            }
        }
    }

    /// A and AAAA records of `host`; none on any failure (the caller tries the next host).
    func addresses(of host: String) -> EventLoopFuture<[IPAddress]> {
        resolver.addresses(of: host, family: .any, on: loop, deadline: .now() + Router.lookupTimeout).map { answer in
            if case .records(let list) = answer { return list }
            return []
        }
    }
}
