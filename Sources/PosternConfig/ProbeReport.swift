import Foundation

/// What `posternd --probe` found when it served a configuration on loopback and connected to
/// every listener once per sender group (`commit --dry-run`, `commitcheck --probe`). The CLI
/// reads it as JSON; it never links the engine.
public struct ProbeReport: Codable, Hashable, Sendable {
    public var listeners: [ProbeListener]
    /// Reasons to look again before committing (expiring certificate, no TLS 1.2 cipher, …).
    public var warnings: [String]
    /// Why the configuration could not be served at all (it did not validate or compile).
    public var problems: [String]
    /// Wall-clock seconds from start to the last probe.
    public var seconds: Double

    public init(listeners: [ProbeListener] = [], warnings: [String] = [], problems: [String] = [], seconds: Double = 0) {
        self.listeners = listeners
        self.warnings = warnings
        self.problems = problems
        self.seconds = seconds
    }
}

public struct ProbeListener: Codable, Hashable, Sendable {
    public var name: String
    /// Where the listener is configured (not where the probe served it).
    public var address: String
    public var port: Int
    public var groups: [ProbeGroup]

    public init(name: String, address: String, port: Int, groups: [ProbeGroup] = []) {
        self.name = name
        self.address = address
        self.port = port
        self.groups = groups
    }
}

/// One sender group of a listener's HAT (or `ALL`) and what a client from it met.
public struct ProbeGroup: Codable, Hashable, Sendable {
    public var name: String
    /// The group's entries as the HAT lists them.
    public var entries: String
    /// `$ACCEPTED`, or an inline behaviour such as `REJECT`.
    public var action: String
    public var behavior: String
    /// The TLS level's label (`Preferred`); nil where the action names no policy that exists.
    public var tls: String?
    /// The loopback address the probe connected from; nil when the group was not probed.
    public var source: String?
    /// Why the group was not probed.
    public var skipped: String?
    /// A client that never starts TLS.
    public var plaintext: ProbeConnection?
    /// A client that starts TLS when offered, with the OUTBOUND settings and no certificate.
    public var tlsClient: ProbeConnection?

    public init(name: String, entries: String, action: String, behavior: String, tls: String?) {
        self.name = name
        self.entries = entries
        self.action = action
        self.behavior = behavior
        self.tls = tls
    }
}

/// One probe connection: EHLO, STARTTLS when offered and wanted, MAIL and RCPT, no DATA.
public struct ProbeConnection: Codable, Hashable, Sendable {
    /// The connection could not be made or the greeting was refused.
    public var refused: String?
    public var startTLSOffered = false
    public var tlsProtocol: String?
    public var cipher: String?
    public var certificateSubject: String?
    public var certificateNotAfter: Date?
    /// Why the handshake after `220` failed (a -Verify listener refusing a client without a certificate).
    public var handshakeFailure: String?
    /// The reply that decided the transaction: to MAIL (`530 …` before STARTTLS under
    /// Required) or to RCPT.
    public var mailReply: String?
    /// Each command sent in the clear with its reply (`selftest`'s 530 check).
    public var exchangesInClear: [Exchange]?
    public struct Exchange: Codable, Hashable, Sendable {
        public var command: String
        public var reply: String
        public init(command: String, reply: String) {
            self.command = command
            self.reply = reply
        }
    }
    /// The first reply after the handshake (`selftest`'s pipelining check).
    public var firstReplyAfterTLS: String?
    /// The extensions the EHLO after TLS listed.
    public var ehloAfterTLS: [String]?
    /// The certificate names the listener's host name (RFC 6125); nil without TLS.
    public var certificateMatchesHost: Bool?
    /// The chain verified against the trusted authorities, and OpenSSL's words for the result.
    public var chainVerified: Bool?
    public var verifyResult: String?

    public init() {}
}

extension ProbeReport {
    public static func decode(_ data: Data) throws -> ProbeReport {
        try JSONCoding.decoder.decode(ProbeReport.self, from: data)
    }

    public func encoded() throws -> Data {
        try JSONCoding.pretty.encode(self)
    }

    /// Warnings that follow from what the probes saw: certificates that expired or expire
    /// within 30 days.
    public func certificateWarnings(now: Date) -> [String] {
        var seen: Set<String> = []
        var warnings: [String] = []
        for listener in listeners {
            for group in listener.groups {
                guard let tls = group.tlsClient, let notAfter = tls.certificateNotAfter else { continue }
                let subject = tls.certificateSubject ?? "?"
                guard seen.insert(listener.name + "|" + subject).inserted else { continue }
                let days = Int((notAfter.timeIntervalSince(now) / 86_400).rounded(.down))
                if notAfter <= now {
                    warnings.append("\(listener.name): the certificate \(subject) expired on \(ProbeReport.day(notAfter)).")
                } else if days < 30 {
                    warnings.append("\(listener.name): the certificate \(subject) expires in \(days) days (\(ProbeReport.day(notAfter))).")
                }
            }
        }
        return warnings
    }

    public static func day(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter.string(from: date)
    }
}
