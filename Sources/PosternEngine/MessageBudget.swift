import NIOConcurrencyHelpers

/// The bytes of message data the engine holds in memory across all connections, from the
/// first byte after `354` until the spool has them (DESIGN.md, "Hostile input"). A new DATA
/// while the budget is spent gets `452 4.3.1`; a message that overruns it while it arrives
/// is dropped from memory, read to its end and answered `452 4.3.1` too. So the engine holds
/// at most the budget plus one read (64 KiB) per connection.
final class MessageBudget: Sendable {
    /// 128 MiB: a dozen messages of the default 10 MB limit at once.
    static let defaultLimit = 128 * 1024 * 1024

    let limit: Int
    private let used = NIOLockedValueBox(0)

    init(limit: Int = MessageBudget.defaultLimit) {
        self.limit = limit
    }

    /// Whether a new message may start.
    var available: Bool { used.withLockedValue { $0 < limit } }

    /// Bytes held now.
    var inUse: Int { used.withLockedValue { $0 } }

    /// Takes `bytes`; false (and nothing taken) when they do not fit.
    func charge(_ bytes: Int) -> Bool {
        used.withLockedValue { used in
            guard used + bytes <= limit else { return false }
            used += bytes
            return true
        }
    }

    func release(_ bytes: Int) {
        guard bytes > 0 else { return }
        used.withLockedValue { $0 = max(0, $0 - bytes) }
    }
}
