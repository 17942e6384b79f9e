import NIOCore
import NIOPosix
import PosternConfig
import PosternDNS
import PosternTestSupport
import Testing
@testable import PosternEngine

/// Delivery's routing on the asynchronous resolver, against the test responder.
@Suite(.serialized) struct RouterTests {
    static let rules = """
    [{"name": "example.test", "type": "MX", "values": ["20 b.example.test", "10 a.example.test", "30 gone.example.test"]},
     {"name": "a.example.test", "type": "A", "values": ["127.0.0.10"]},
     {"name": "a.example.test", "type": "AAAA", "action": "nodata"},
     {"name": "b.example.test", "type": "A", "values": ["127.0.0.11"]},
     {"name": "b.example.test", "type": "AAAA", "values": ["::1"]},
     {"name": "bare.test", "type": "MX", "action": "nodata"},
     {"name": "bare.test", "type": "A", "values": ["127.0.0.12"]},
     {"name": "bare.test", "type": "AAAA", "action": "nodata"},
     {"name": "nullmx.test", "type": "MX", "values": ["0 ."]},
     {"name": "stalled.test", "type": "*", "action": "drop"},
     {"name": "relay.test", "type": "A", "values": ["127.0.0.13"]},
     {"name": "relay.test", "type": "AAAA", "action": "nodata"}]
    """
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    func route(_ domain: String, _ delivery: DeliveryConfiguration = .init()) async throws -> Router.Result {
        let responder = try DNSResponder(RouterTests.rules)
        let dns = try DNSResolver(.init(servers: responder.server, tryTimeout: .seconds(2), tries: 1))
        defer { dns.shutdown() }
        return try await Router(resolver: dns, loop: group.next()).resolve(domain: domain, delivery: delivery).get()
    }

    @Test func mxHostsInPreferenceOrderWithTheirAddresses() async throws {
        let result = try await route("example.test")
        #expect(result == .hops([
            .init(host: "a.example.test", port: 25, addresses: [.v4(0x7F00_000A)]),
            .init(host: "b.example.test", port: 25, addresses: [.v6(1), .v4(0x7F00_000B)]),
        ]))
    }

    @Test func withoutMXTheDomainItselfIsTheHost() async throws {
        #expect(try await route("bare.test") == .hops([.init(host: "bare.test", port: 25, addresses: [.v4(0x7F00_000C)])]))
    }

    @Test func nullMXAndMissingDomainsArePermanent() async throws {
        #expect(try await route("nullmx.test") == .permanentFailure("nullmx.test accepts no mail (null MX)",
                                                                      enhanced: "5.1.10"))
        #expect(try await route("absent.test") == .permanentFailure("the domain absent.test does not exist",
                                                                      enhanced: "5.1.2"))
    }

    @Test func anUnansweredLookupIsTemporary() async throws {
        guard case .temporaryFailure(let why) = try await route("stalled.test") else {
            Issue.record("a stalled MX lookup must defer")
            return
        }
        #expect(why.contains("MX records of stalled.test"))
    }

    @Test func routesResolveTheirHostNames() async throws {
        let delivery = DeliveryConfiguration(routes: [
            SMTPRoute(domain: "routed.test", destinations: [.host(name: "relay.test", port: 2526, priority: 0)])])
        #expect(try await route("routed.test", delivery)
                == .hops([.init(host: "relay.test", port: 2526, addresses: [.v4(0x7F00_000D)])]))
    }
}
