import Foundation
import PosternConfig
import PosternSMTPCore
import PosternSpool

/// The delivery status notification (RFC 3464) for the recipients of a message that
/// failed, queued as a new message from the null sender to the original sender.
struct Bounce {
    let envelope: Envelope
    let message: String

    init(mid: Int, original: Envelope, originalMessage: Data, failed: [DeliveryState.Recipient], hostname: String,
         now: Date = Date()) {
        let dsn = DeliveryStatusNotification(
            reportingMTA: hostname, originalSender: original.sender, originalMID: original.mid,
            arrival: original.receivedAt,
            recipients: failed.map {
                .init(address: $0.address, status: $0.enhanced ?? "5.0.0", diagnostic: $0.detail ?? "failed",
                      remoteMTA: $0.remote)
            },
            originalHeaders: DeliveryStatusNotification.headers(of: originalMessage))
        message = dsn.render(now: now, messageID: "<\(mid).\(Int(now.timeIntervalSince1970))@\(hostname)>")
        envelope = Envelope(mid: mid, icid: 0, sender: "", recipients: [original.sender], heloName: hostname,
                            clientAddress: "127.0.0.1", clientName: hostname, listener: "bounce", tlsProtocol: nil,
                            tlsCipher: nil, body8Bit: false, receivedAt: now)
    }
}

extension SMTPClientSession.Outcome {
    var isDeferred: Bool {
        if case .deferred = self { return true }
        return false
    }
}

extension SMTPClientSession.TLSLevelPolicy {
    init(_ level: TLSLevel) {
        switch level {
        case .no: self = .no
        case .preferred: self = .preferred
        case .required: self = .required
        case .preferredVerify: self = .preferredVerify
        case .requiredVerify: self = .requiredVerify
        }
    }
}
