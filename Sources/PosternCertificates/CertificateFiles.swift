import Foundation
import PosternConfig
import PosternSpool
import PosternStore
import PosternTLS

/// Certificate and key files under `HOME/certs/`. Names carry the certificate's fingerprint,
/// so a file once written never changes: every generation in the history keeps finding the
/// files it names, and staging a certificate before commit touches nothing in service.
public enum CertificateFiles {
    /// Writes the files of a profile and returns it (keys mode 0600).
    public static func store(
        name: String, certificate: Certificate, key: PrivateKey, chain: [Certificate], home: Home
    ) throws -> CertificateProfile {
        let stem = "\(safe(name))-\(fingerprintStem(certificate))"
        try DurableFile.write(Data(key.pem.utf8), to: home.certificateFile(stem + ".key"), mode: Home.privateKeyMode)
        try DurableFile.write(Data(certificate.pem.utf8), to: home.certificateFile(stem + ".crt"))
        var chainFile: String?
        if !chain.isEmpty {
            chainFile = stem + "-chain.pem"
            try DurableFile.write(Data(chain.map(\.pem).joined().utf8), to: home.certificateFile(chainFile!))
        }
        return CertificateProfile(name: name, certificateFile: stem + ".crt", keyFile: stem + ".key", chainFile: chainFile)
    }

    /// Writes a bundle of certificate authorities; returns its file name under certs/.
    public static func storeAuthorities(_ certificates: [Certificate], home: Home) throws -> String {
        let name = "custom-ca-\(fingerprintStem(certificates[0])).pem"
        try DurableFile.write(Data(certificates.map(\.pem).joined().utf8), to: home.certificateFile(name))
        return name
    }

    public static func loadCertificate(_ profile: CertificateProfile, home: Home) -> Certificate? {
        guard let text = try? String(contentsOf: home.certificateFile(profile.certificateFile), encoding: .utf8) else {
            return nil
        }
        return try? Certificate(pem: text)
    }

    /// The key type of each profile whose certificate can be read.
    public static func keyTypes(_ profiles: [CertificateProfile], home: Home) -> [String: KeyType] {
        var out: [String: KeyType] = [:]
        for profile in profiles {
            if let type = loadCertificate(profile, home: home)?.keyType { out[profile.name] = type }
        }
        return out
    }

    public static func loadChain(_ profile: CertificateProfile, home: Home) -> [Certificate] {
        guard let file = profile.chainFile,
            let text = try? String(contentsOf: home.certificateFile(file), encoding: .utf8)
        else { return [] }
        return (try? Certificate.readAll(pem: text)) ?? []
    }

    private static func fingerprintStem(_ certificate: Certificate) -> String {
        String(certificate.sha256Fingerprint.filter { $0 != ":" }.prefix(12)).lowercased()
    }

    private static func safe(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
    }
}
