import Foundation

/// One session-ticket key: the 16-byte name a ticket carries in clear, the AES-256 key that
/// encrypts the session in it and the HMAC-SHA256 key that authenticates it (the ticket
/// layout RFC 5077 §4 recommends, which OpenSSL writes).
public struct SessionTicketKey: Sendable, Hashable {
    public static let nameLength = 16
    public static let secretLength = 32

    public let name: [UInt8]
    public let cipherKey: [UInt8]
    public let macKey: [UInt8]
    /// When it was made, in seconds since 1970: it encrypts for one lifetime, then only
    /// decrypts for one more.
    public let created: Int64

    public init?(name: [UInt8], cipherKey: [UInt8], macKey: [UInt8], created: Int64) {
        guard name.count == Self.nameLength, cipherKey.count == Self.secretLength, macKey.count == Self.secretLength
        else { return nil }
        self.name = name
        self.cipherKey = cipherKey
        self.macKey = macKey
        self.created = created
    }

    /// A fresh key from the system's cryptographically secure generator.
    public static func generate(created: Int64) -> SessionTicketKey {
        SessionTicketKey(name: Digest.randomBytes(nameLength), cipherKey: Digest.randomBytes(secretLength),
                         macKey: Digest.randomBytes(secretLength), created: created)!
    }
}

/// The keys a server's session tickets are made with, newest first. The engine keeps one set
/// for all its listeners and every context it compiles at a reload, and stores it under the
/// home, so a ticket survives a reload and a restart. Which listener and verification
/// requirement a ticket's session may resume under is still the session-id context's say.
public final class SessionTicketKeys: @unchecked Sendable {
    // @unchecked: `keys` is read and replaced only under `lock`; handshakes on every event
    // loop read it, the engine's rotation replaces it.
    private let lock = NSLock()
    private var keys: [SessionTicketKey]

    public init(_ keys: [SessionTicketKey] = []) {
        self.keys = keys
    }

    public var all: [SessionTicketKey] { lock.withLock { keys } }

    public func replace(_ keys: [SessionTicketKey]) {
        lock.withLock { self.keys = keys }
    }

    /// The key new tickets are encrypted with.
    var newest: SessionTicketKey? { lock.withLock { keys.first } }

    /// The key named in a ticket, and whether it is the newest (else the ticket is renewed).
    func key(named name: UnsafeRawBufferPointer) -> (key: SessionTicketKey, newest: Bool)? {
        lock.withLock {
            for (index, key) in keys.enumerated() where key.name.elementsEqual(name) { return (key, index == 0) }
            return nil
        }
    }

    /// The rotation schedule (Postfix's tlsmgr rotates the same way): a new key once the
    /// newest is `lifetime` seconds old (or there is none), and a key is dropped once it is
    /// two lifetimes old, when no ticket it encrypted can still be valid. Newest first. A key
    /// dated more than `allowedSkew` ahead of `now` is dropped too: kept, it would never
    /// age, and a clock once set ahead would leave one key in use for good. Any date is safe
    /// here, however damaged the file it came from (no arithmetic can overflow).
    public static func rotated(_ keys: [SessionTicketKey], now: Int64, lifetime: Int,
                               make: (Int64) -> SessionTicketKey = SessionTicketKey.generate(created:))
        -> [SessionTicketKey]
    {
        let lifetime = Int64(min(max(1, lifetime), 1 << 32))
        let now = min(max(now, 0), Int64(1) << 48)
        var kept = keys.sorted { $0.created > $1.created }
            .filter { $0.created <= now + allowedSkew && $0.created > now - 2 * lifetime }
        if let newest = kept.first, newest.created > now - lifetime {
            return kept
        }
        kept.insert(make(now), at: 0)
        return kept
    }

    /// When `rotated` will next change the set: the newest key's end of encrypting or the
    /// oldest's end of decrypting, whichever comes first.
    public static func nextChange(_ keys: [SessionTicketKey], lifetime: Int) -> Int64? {
        let lifetime = Int64(min(max(1, lifetime), 1 << 32))
        let created = keys.map { min($0.created, Int64.max - 2 * lifetime) }
        let ends = created.map { $0 + 2 * lifetime } + (created.max().map { [$0 + lifetime] } ?? [])
        return ends.min()
    }

    /// How far ahead of the clock a key's date may be (a clock stepped back by NTP) before
    /// the key is taken for damaged.
    static let allowedSkew: Int64 = 300
}
