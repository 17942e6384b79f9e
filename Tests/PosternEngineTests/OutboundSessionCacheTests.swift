import PosternConfig
import Testing
@testable import PosternEngine

/// Delivery's per-destination TLS sessions (issue 16 §3, Postfix's smtp_tls_session_cache).
@Suite struct OutboundSessionCacheTests {
    typealias Cache = OutboundSessionCache<String>
    let mx = Cache.Key(host: "mx.example.com", address: "192.0.2.1", port: 25, level: .preferred)

    @Test func aSessionIsOfferedToItsDestinationUntilItsLifetimeEnds() {
        var cache = Cache()
        cache.store("s1", for: mx, now: 100)
        #expect(cache.session(for: mx, now: 100 + 3599, lifetime: 3600) == "s1")
        #expect(cache.session(for: mx, now: 100 + 3600, lifetime: 3600) == nil)
        #expect(cache.count == 0)  // an expired session is forgotten
    }

    @Test func anotherLevelAddressOrPortGetsNoSession() {
        var cache = Cache()
        cache.store("s1", for: mx, now: 0)
        var verify = mx
        verify.level = .requiredVerify
        var other = mx
        other.address = "192.0.2.2"
        var port = mx
        port.port = 587
        for key in [verify, other, port] { #expect(cache.session(for: key, now: 1, lifetime: 3600) == nil) }
    }

    @Test func aFailedHandshakeForgetsAndTheOldestGoesAtCapacity() {
        var cache = Cache()
        cache.store("s1", for: mx, now: 0)
        cache.store(nil, for: mx, now: 1)
        #expect(cache.session(for: mx, now: 2, lifetime: 3600) == nil)
        for i in 0..<Cache.capacity {
            cache.store("s\(i)", for: Cache.Key(host: "h\(i)", address: "a", port: 25, level: .preferred), now: Int64(i))
        }
        cache.store("new", for: mx, now: 5000)
        #expect(cache.count == Cache.capacity)
        #expect(cache.session(for: Cache.Key(host: "h0", address: "a", port: 25, level: .preferred), now: 5000,
                              lifetime: 9999) == nil)
        #expect(cache.session(for: mx, now: 5000, lifetime: 3600) == "new")
    }
}
