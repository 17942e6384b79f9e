import NIOConcurrencyHelpers
import NIOCore
import PosternConfig
import PosternDNS
import PosternPolicy

/// Reverse DNS with forward confirmation, as the HAT needs for hostname entries and the mail
/// log prints (`reverse dns host … verified yes`): the PTR name, then its A or AAAA records,
/// which must hold the address again. Asynchronous on the resolver; the whole check ends by
/// the listener settings' reverse-DNS timeout, after which it is a temporary failure (the
/// AsyncOS answer for a lookup that timed out). Answers are remembered for a while: mail
/// servers reconnect often. An answer lives 60 seconds, a temporary failure 10; the cache
/// holds at most `capacity` addresses.
final class ReverseDNS: Sendable {
    private let resolver: DNSResolver
    private let entries = NIOLockedValueBox<[IPAddress: (ReverseDNSResult, NIODeadline)]>([:])
    private let capacity: Int

    init(resolver: DNSResolver, capacity: Int = 10_000) {
        self.resolver = resolver
        self.capacity = capacity
    }

    /// The verified name of `address`, or why there is none. `timeout` zero skips the lookup
    /// and answers the timeout at once, as AsyncOS does when its timeout is 0.
    func lookup(_ address: IPAddress, timeout: TimeAmount, on loop: EventLoop) -> EventLoopFuture<ReverseDNSResult> {
        let now = NIODeadline.now()
        if let (result, expiry) = entries.withLockedValue({ $0[address] }), expiry > now {
            return loop.makeSucceededFuture(result)
        }
        guard timeout > .zero else { return loop.makeSucceededFuture(.temporaryFailure) }
        let deadline = now + timeout
        let resolver = self.resolver
        return resolver.pointer(address, on: loop, deadline: deadline).flatMap { answer -> EventLoopFuture<ReverseDNSResult> in
            switch answer {
            case .temporaryFailure:
                return loop.makeSucceededFuture(.temporaryFailure)
            case .noRecords, .nameDoesNotExist:
                return loop.makeSucceededFuture(.unverified(nil))
            case .records(let names):
                let name = names[0]
                return resolver.addresses(of: name, family: address.isIPv4 ? .ipv4 : .ipv6, on: loop, deadline: deadline)
                    .map { forward -> ReverseDNSResult in
                        switch forward {
                        case .temporaryFailure: return .temporaryFailure
                        case .noRecords, .nameDoesNotExist: return .unverified(name)
                        case .records(let addresses): return addresses.contains(address) ? .verified(name) : .unverified(name)
                        }
                    }
            }
        }.map { [self] result in
            remember(address, result, now: now)
            return result
        }
    }

    private func remember(_ address: IPAddress, _ result: ReverseDNSResult, now: NIODeadline) {
        let ttl: TimeAmount = result == .temporaryFailure ? .seconds(10) : .seconds(60)
        entries.withLockedValue { cache in
            if cache.count >= capacity { cache.removeAll(keepingCapacity: true) }
            cache[address] = (result, now + ttl)
        }
    }
}
