extension SMTPClientSession {
    /// One message to deliver on this connection.
    public struct Job: Sendable, Equatable {
        public var mid: Int
        public var sender: String
        /// (RID, address) pairs still to deliver.
        public var recipients: [Recipient]
        public var size: Int
        /// The message holds bytes above 127: it needs `BODY=8BITMIME` (RFC 6152).
        public var body8Bit: Bool

        public struct Recipient: Sendable, Equatable {
            public var rid: Int
            public var address: String
            public init(rid: Int, address: String) {
                self.rid = rid
                self.address = address
            }
        }

        public init(mid: Int, sender: String, recipients: [Recipient], size: Int, body8Bit: Bool) {
            self.mid = mid
            self.sender = sender
            self.recipients = recipients
            self.size = size
            self.body8Bit = body8Bit
        }

        /// A non-ASCII address in the envelope needs a receiver that offers SMTPUTF8 (RFC 6531 §3.4).
        public var needsSMTPUTF8: Bool {
            !sender.utf8.allSatisfy { $0 < 0x80 } || recipients.contains { !$0.address.utf8.allSatisfy { $0 < 0x80 } }
        }
    }

    /// What became of one recipient.
    public enum Outcome: Sendable, Equatable {
        case delivered(SMTPReply)
        /// Try again later (4xx, or the connection failed before a final answer).
        case deferred(String, enhanced: String)
        /// Give up (5xx).
        case failed(SMTPReply)
    }

    public enum Action: Sendable, Equatable {
        case send(String)
        /// Start TLS now (after `220` to STARTTLS).
        case startTLS
        /// Send message `job`'s data, dot-stuffed, then the final `.`.
        case sendBody(job: Int)
        /// The transaction of `job` begins (MAIL FROM is being sent).
        case jobStarted(job: Int)
        /// Every recipient of `job` has its outcome.
        case jobFinished(job: Int, outcomes: [Int: Outcome])
        /// TLS was required (or verification was) and could not be had.
        case tlsRequiredFailed(String)
        /// The server answered the AUTH of a forwarded check (`SMTPClientSession+Auth.swift`).
        case authFinished(SMTPSession.AuthOutcome)
        case close
    }

    /// The TLS rules for delivery (asyncos-cli.md §3.2).
    public enum TLSLevelPolicy: Sendable, Equatable {
        case no, preferred, required, preferredVerify, requiredVerify

        var attempts: Bool { self != .no }
        var mandatory: Bool { self == .required || self == .requiredVerify }
    }
}
