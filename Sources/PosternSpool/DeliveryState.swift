import Foundation

/// Where each recipient of a queued message stands (`queue/<MID>.state`). Written durably
/// after every delivery attempt; a crash in the middle of an attempt re-delivers what the
/// state does not yet say was delivered (at least once, like every MTA).
public struct DeliveryState: Codable, Hashable, Sendable {
    public enum Status: String, Codable, Sendable {
        case pending, delivered, bounced, deleted
    }

    public struct Recipient: Codable, Hashable, Sendable {
        public var address: String
        public var status: Status
        /// The last answer or reason, for showqueue and the bounce.
        public var detail: String?
        /// RFC 3463 status of a bounce (`5.1.1`).
        public var enhanced: String?
        public var remote: String?

        public init(address: String, status: Status = .pending, detail: String? = nil, enhanced: String? = nil,
                    remote: String? = nil) {
            self.address = address
            self.status = status
            self.detail = detail
            self.enhanced = enhanced
            self.remote = remote
        }
    }

    public var attempts: Int
    public var nextAttempt: Date
    /// Indexed by RID.
    public var recipients: [Recipient]
    /// Set once the bounce for the failed recipients has been queued.
    public var bounceQueued: Bool

    public init(recipients: [String], now: Date) {
        attempts = 0
        nextAttempt = now
        self.recipients = recipients.map { Recipient(address: $0) }
        bounceQueued = false
    }

    public var pending: [Int] { recipients.indices.filter { recipients[$0].status == .pending } }
}
