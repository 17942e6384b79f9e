import Foundation
import PosternSpool

/// A delivery status notification (RFC 3464, RFC 3462 multipart/report) for recipients
/// that failed: sent to the envelope sender, from the null sender, never for a null sender.
public struct DeliveryStatusNotification: Sendable {
    public struct FailedRecipient: Sendable, Equatable {
        public var address: String
        /// RFC 3463 status, `5.1.1`.
        public var status: String
        /// The remote reply (`550 5.1.1 No such user`) or Postern's own reason.
        public var diagnostic: String
        /// The host that answered, if one did.
        public var remoteMTA: String?

        public init(address: String, status: String, diagnostic: String, remoteMTA: String?) {
            self.address = address
            self.status = status
            self.diagnostic = diagnostic
            self.remoteMTA = remoteMTA
        }
    }

    public var reportingMTA: String
    public var originalSender: String
    public var originalMID: Int
    public var arrival: Date
    public var recipients: [FailedRecipient]
    /// The original message's header section (without the body).
    public var originalHeaders: String

    public init(reportingMTA: String, originalSender: String, originalMID: Int, arrival: Date,
                recipients: [FailedRecipient], originalHeaders: String) {
        self.reportingMTA = reportingMTA
        self.originalSender = originalSender
        self.originalMID = originalMID
        self.arrival = arrival
        self.recipients = recipients
        self.originalHeaders = originalHeaders
    }

    /// The header section of a message: everything before the first empty line.
    public static func headers(of message: Data) -> String {
        let text = String(decoding: message.prefix(64 * 1024), as: UTF8.self)
        if let end = text.range(of: "\r\n\r\n") { return String(text[..<end.lowerBound]) + "\r\n" }
        if let end = text.range(of: "\n\n") { return String(text[..<end.lowerBound]) + "\n" }
        return text
    }

    /// The whole message, CRLF line endings.
    public func render(now: Date, messageID: String) -> String {
        let boundary = "postern-dsn-\(originalMID)-\(Int(now.timeIntervalSince1970))"
        let date = Envelope.rfc5322Date(now)
        var lines = [
            "From: Mail Delivery System <MAILER-DAEMON@\(reportingMTA)>",
            "To: <\(originalSender)>",
            "Subject: Delivery Status Notification (Failure)",
            "Date: \(date)",
            "Message-ID: \(messageID)",
            "Auto-Submitted: auto-replied",
            "MIME-Version: 1.0",
            "Content-Type: multipart/report; report-type=delivery-status; boundary=\"\(boundary)\"",
            "",
            "This is a MIME-formatted message.",
            "",
            "--\(boundary)",
            "Content-Type: text/plain; charset=us-ascii",
            "",
            "The message you sent could not be delivered to the following recipient\(recipients.count == 1 ? "" : "s"):",
            "",
        ]
        for r in recipients {
            lines.append("  <\(r.address)>: \(r.diagnostic)")
        }
        lines += [
            "",
            "--\(boundary)",
            "Content-Type: message/delivery-status",
            "",
            "Reporting-MTA: dns; \(reportingMTA)",
            "X-Postern-MID: \(originalMID)",
            "Arrival-Date: \(Envelope.rfc5322Date(arrival))",
            "",
        ]
        for r in recipients {
            lines.append("Final-Recipient: rfc822; \(r.address)")
            lines.append("Action: failed")
            lines.append("Status: \(r.status)")
            if let mta = r.remoteMTA { lines.append("Remote-MTA: dns; \(mta)") }
            lines.append("Diagnostic-Code: smtp; \(r.diagnostic)")
            lines.append("Last-Attempt-Date: \(date)")
            lines.append("")
        }
        lines += [
            "--\(boundary)",
            "Content-Type: text/rfc822-headers",
            "",
        ]
        let headers = originalHeaders.replacing("\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
        lines += headers.map(String.init).filter { !$0.isEmpty }
        lines += ["", "--\(boundary)--", ""]
        return lines.joined(separator: "\r\n")
    }
}
