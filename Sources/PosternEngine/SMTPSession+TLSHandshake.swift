import PosternSMTPCore
import PosternTLSChannel

extension SMTPSession.TLSInfo {
    /// The session's view of a handshake the shared TLS handler completed.
    init(_ handshake: TLSHandshakeInfo) {
        self.init(protocolVersion: handshake.protocolVersion, cipher: handshake.cipher,
                  clientCertificateSubject: handshake.clientCertificateSubject,
                  clientCertificateVerified: handshake.clientCertificateVerified)
    }
}
