import Foundation

/// What the session knows of a message when its data is complete: the spool stores it
/// beside the message.
public struct Envelope: Codable, Hashable, Sendable {
    public var mid: Int
    public var icid: Int
    public var sender: String
    public var recipients: [String]
    public var heloName: String
    public var clientAddress: String
    public var clientName: String
    public var listener: String
    /// `TLSv1.3` and the cipher when the message came over TLS.
    public var tlsProtocol: String?
    public var tlsCipher: String?
    public var body8Bit: Bool
    public var receivedAt: Date

    public init(
        mid: Int, icid: Int, sender: String, recipients: [String], heloName: String, clientAddress: String,
        clientName: String, listener: String, tlsProtocol: String?, tlsCipher: String?, body8Bit: Bool,
        receivedAt: Date
    ) {
        self.mid = mid
        self.icid = icid
        self.sender = sender
        self.recipients = recipients
        self.heloName = heloName
        self.clientAddress = clientAddress
        self.clientName = clientName
        self.listener = listener
        self.tlsProtocol = tlsProtocol
        self.tlsCipher = tlsCipher
        self.body8Bit = body8Bit
        self.receivedAt = receivedAt
    }

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
