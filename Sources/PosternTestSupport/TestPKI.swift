import Foundation
import PosternTLS

/// A certificate authority and certificates made at test time (never committed keys).
public struct TestPKI: Sendable {
    public let authority: CertifiedKey
    public let server: CertifiedKey
    public let client: CertifiedKey

    public init(serverName: String = "localhost", authorityName: String = "Postern Test CA") throws {
        authority = try CertificateBuilder.make(
            subject: CertificateSubject(commonName: authorityName, organization: "Postern tests"), days: 30,
            usage: .authority)
        server = try CertificateBuilder.make(
            subject: CertificateSubject(commonName: serverName), dnsNames: [serverName, "localhost"], days: 30,
            usage: .mailServer, issuer: authority)
        client = try CertificateBuilder.make(
            subject: CertificateSubject(commonName: "client.partner.example"), dnsNames: ["client.partner.example"],
            days: 30, usage: .client, issuer: authority)
    }

    /// Writes `name.crt` and `name.key` for a certified key into `directory`; returns their paths.
    @discardableResult
    public static func write(_ key: CertifiedKey, name: String, to directory: URL) throws -> (certificate: String, key: String) {
        let crt = directory.appendingPathComponent("\(name).crt")
        let pem = directory.appendingPathComponent("\(name).key")
        try key.certificate.pem.write(to: crt, atomically: true, encoding: .utf8)
        try key.key.pem.write(to: pem, atomically: true, encoding: .utf8)
        chmod(pem.path, 0o600)
        return (crt.path, pem.path)
    }
}
