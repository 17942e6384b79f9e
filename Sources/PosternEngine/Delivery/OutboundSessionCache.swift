import PosternConfig

/// Delivery's TLS sessions, one per destination, as Postfix's `smtp_tls_session_cache_database`
/// keeps them: the session of the last connection that negotiated TLS with a host is offered
/// on the next one, which then skips the certificate exchange and the key signature if the
/// server still knows it. Keyed by the host, its address, the port and the TLS level, so a
/// session is offered only to the server it came from and under the requirement it was made
/// under. Bounded; kept for the OUTBOUND session lifetime. Used on the delivery queue only;
/// generic over the session so its bookkeeping is tested without OpenSSL.
struct OutboundSessionCache<Session> {
    struct Key: Hashable {
        var host: String
        var address: String
        var port: Int
        var level: TLSLevel
    }

    /// Destinations remembered at most; past it the oldest entry goes.
    static var capacity: Int { 1000 }

    private var entries: [Key: (session: Session, stored: Int64)] = [:]

    var count: Int { entries.count }

    /// The session to offer to `key`, unless it is older than `lifetime` seconds.
    mutating func session(for key: Key, now: Int64, lifetime: Int) -> Session? {
        guard let entry = entries[key] else { return nil }
        guard now - entry.stored < Int64(lifetime) else {
            entries[key] = nil
            return nil
        }
        return entry.session
    }

    /// Keeps the session a connection ended with; nil forgets the destination's.
    mutating func store(_ session: Session?, for key: Key, now: Int64) {
        guard let session else {
            entries[key] = nil
            return
        }
        if entries[key] == nil, entries.count >= Self.capacity,
            let oldest = entries.min(by: { $0.value.stored < $1.value.stored })?.key
        {
            entries[oldest] = nil
        }
        entries[key] = (session, now)
    }

    mutating func removeAll() { entries.removeAll() }
}
