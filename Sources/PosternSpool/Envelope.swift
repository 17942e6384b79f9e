import Foundation

/// What is known of a message when its data is complete: the spool stores it beside the
/// message (one line of JSON), and delivery reads it back.
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
}
