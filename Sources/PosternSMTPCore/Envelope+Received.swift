import Foundation
import PosternSpool

extension Envelope {
    /// The `Received:` trace header (RFC 5321 §4.4) this appliance adds, naming the TLS
    /// protocol and cipher when there was TLS.
    public func receivedHeader(byHost host: String, esmtp: Bool) -> String {
        var with = esmtp ? "ESMTP" : "SMTP"
        if tlsProtocol != nil { with += "S" }
        var header = "Received: from \(heloName) (\(clientName) [\(clientAddress)])\r\n  by \(host) with \(with)"
        if let tlsProtocol, let tlsCipher { header += " (version=\(tlsProtocol) cipher=\(tlsCipher))" }
        header += "\r\n  id \(mid)"
        if recipients.count == 1 { header += "\r\n  for <\(recipients[0])>" }
        header += "; \(Envelope.rfc5322Date(receivedAt))\r\n"
        return header
    }

    /// `Sun, 29 Nov 2026 10:00:00 +0000` (RFC 5322 §3.3).
    public static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter.string(from: date)
    }
}
