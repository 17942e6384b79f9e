import Foundation
import PosternConfig
import PosternStore
import PosternTLS

/// The checks a certificate profile passes on its way in, whichever way it comes: `certconfig`
/// PASTE, IMPORT and NEW, and the web's Network → Certificates. The messages are AsyncOS's
/// (asyncos-cli.md §5.1), so the CLI and the browser refuse the same thing in the same words.
public enum CertificateIntake {
    public struct Problem: Error, Sendable, CustomStringConvertible {
        public let message: String
        public init(_ message: String) { self.message = message }
        public var description: String { message }
    }

    public static func certificate(pem: String) throws(Problem) -> Certificate {
        do { return try Certificate(pem: pem) } catch { throw Problem("Invalid certificate...discarding") }
    }

    public static func key(pem: String) throws(Problem) -> PrivateKey {
        do { return try PrivateKey(pem: pem) } catch { throw Problem("Invalid private key ...discarding") }
    }

    /// The key must be the certificate's own.
    public static func check(_ certificate: Certificate, signedBy key: PrivateKey) throws(Problem) {
        guard certificate.matches(key) else { throw Problem("key does not sign certificate") }
    }

    /// Intermediate certificates; empty text is none.
    public static func chain(pem: String) throws(Problem) -> [Certificate] {
        if pem.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return [] }
        do { return try Certificate.readAll(pem: pem) } catch { throw Problem("Invalid certificate...discarding") }
    }

    /// A pasted or uploaded certificate, key and intermediates, each checked as PASTE checks them.
    public static func pasted(certificate: String, key: String, chain: String) throws(Problem)
        -> (certificate: Certificate, key: PrivateKey, chain: [Certificate])
    {
        let parsed = try self.certificate(pem: certificate)
        let privateKey = try self.key(pem: key)
        try check(parsed, signedBy: privateKey)
        return (parsed, privateKey, try self.chain(pem: chain))
    }

    // MARK: Self-signed (certconfig NEW)

    public static let keySizes = [2048, 3072, 4096]
    public static let days = 1...36_500

    public static func countryProblem(_ country: String) -> String? {
        country.isEmpty || (country.count == 2 && country.allSatisfy { $0.isASCII && $0.isLetter })
            ? nil : "Country should be a ISO two character country code"
    }

    /// The subjectAltName list as typed (`a.example.com, b.example.com`).
    public static func dnsNames(_ text: String) throws(Problem) -> [String] {
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if let bad = names.first(where: { !Hostname.isValidCertificateName($0) }) {
            throw Problem("\"\(bad)\" is not a DNS name (example.com or *.example.com).")
        }
        return names
    }

    /// A new self-signed certificate and its key, after the checks NEW makes of its answers.
    public static func selfSigned(subject: CertificateSubject, dnsNames: String, days: Int, keyType: KeyType,
                                  keyBits: Int) throws(Problem) -> CertifiedKey {
        if subject.commonName.isEmpty { throw Problem("Enter a Common Name.") }
        if let problem = countryProblem(subject.country) { throw Problem(problem) }
        guard Self.days.contains(days) else {
            throw Problem("The duration is \(Self.days.lowerBound) to \(Self.days.upperBound) days.")
        }
        guard keyType == .ecdsa || keySizes.contains(keyBits) else {
            throw Problem("The key size is one of " + keySizes.map(String.init).joined(separator: ", ") + " bits.")
        }
        var subject = subject
        subject.country = subject.country.uppercased()
        let names = try self.dnsNames(dnsNames)
        do {
            return try CertificateBuilder.make(subject: subject, dnsNames: names, days: days, keyType: keyType,
                                               keyBits: keyBits)
        } catch {
            throw Problem(error.reason)
        }
    }

    // MARK: Staging

    /// Writes the profile's files (named by fingerprint, so nothing in service changes) and puts
    /// the profile into `configuration`, replacing one of the same name (names ignore case).
    public static func stage(name: String, certificate: Certificate, key: PrivateKey, chain: [Certificate],
                             into configuration: inout Configuration, home: Home) throws(Problem) {
        let existing = configuration.certificates.firstIndex { $0.name.lowercased() == name.lowercased() }
        let profileName = existing.map { configuration.certificates[$0].name } ?? name
        let profile: CertificateProfile
        do {
            profile = try CertificateFiles.store(name: profileName, certificate: certificate, key: key, chain: chain,
                                                 home: home)
        } catch {
            throw Problem("the certificate files cannot be written: \(error)")
        }
        if let existing { configuration.certificates[existing] = profile } else { configuration.certificates.append(profile) }
    }

    /// What presents the profile: listeners (first or second certificate), interfaces' HTTPS,
    /// and delivery (`destconfig SETUP`); a nil choice is the demo certificate.
    public static func users(of profile: String, in configuration: Configuration) -> [String] {
        let demo = FactoryDefaults.demoCertificateName
        var users = configuration.listeners.filter {
            ($0.certificate ?? demo) == profile || $0.secondCertificate == profile
        }.map { "listener \($0.name)" }
        users += configuration.interfaces.filter { $0.httpsPort != nil && ($0.certificate ?? demo) == profile }
            .map { "HTTPS on \($0.name)" }
        if (configuration.delivery.destinations.certificate ?? demo) == profile { users.append("delivery") }
        return users
    }
}
