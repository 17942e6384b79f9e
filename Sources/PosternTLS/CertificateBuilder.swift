import COpenSSL
import Foundation

/// What a new certificate says about its subject (certconfig NEW, asyncos-cli.md §5.1).
public struct CertificateSubject: Sendable, Hashable {
    public var commonName: String
    public var organization: String
    public var organizationalUnit: String
    public var locality: String
    public var state: String
    /// An ISO 3166 two-letter code.
    public var country: String
    public var emailAddress: String

    public init(
        commonName: String, organization: String = "", organizationalUnit: String = "", locality: String = "",
        state: String = "", country: String = "", emailAddress: String = ""
    ) {
        self.commonName = commonName
        self.organization = organization
        self.organizationalUnit = organizationalUnit
        self.locality = locality
        self.state = state
        self.country = country
        self.emailAddress = emailAddress
    }
}

/// The kind of key a new certificate gets (certconfig NEW, `--key=rsa|ecdsa`).
public enum KeyType: String, Sendable, Hashable, CaseIterable {
    /// RSA of the chosen size: what every client speaks.
    case rsa
    /// ECDSA on P-256 (secp256r1): a signature costs a fraction of an RSA-2048 one, and every
    /// current TLS 1.2 and 1.3 client accepts it.
    case ecdsa
}

/// A certificate together with its key.
public struct CertifiedKey: Sendable {
    public let certificate: Certificate
    public let key: PrivateKey

    public init(certificate: Certificate, key: PrivateKey) {
        self.certificate = certificate
        self.key = key
    }
}

/// Makes certificates: the demo certificate, `certconfig` NEW, and test PKIs.
public enum CertificateBuilder {
    public enum Usage: Sendable {
        /// A certificate authority that signs others.
        case authority
        /// A TLS server (serverAuth) that can also act as a client (clientAuth), like an MTA.
        case mailServer
        /// A TLS client only.
        case client
    }

    /// A certificate for `subject`, signed by `issuer` or by its own key when `issuer` is nil.
    public static func make(
        subject: CertificateSubject, dnsNames: [String] = [], days: Int = 365, keyType: KeyType = .rsa,
        keyBits: Int = 2048, usage: Usage = .mailServer, issuer: CertifiedKey? = nil, notBeforeOffset: Int = -300
    ) throws(TLSError) -> CertifiedKey {
        let key = keyType == .rsa ? try PrivateKey.generateRSA(bits: keyBits) : try PrivateKey.generateECDSA()
        ERR_clear_error()
        guard let x509 = X509_new() else { throw TLSError.drain(.certificate, "X509_new") }
        let certificate = Certificate(taking: x509)
        X509_set_version(x509, 2)
        ASN1_INTEGER_set_int64(X509_get_serialNumber(x509), Int64.random(in: 1...Int64.max))
        X509_gmtime_adj(X509_getm_notBefore(x509), notBeforeOffset)
        X509_gmtime_adj(X509_getm_notAfter(x509), days * 86_400)
        X509_set_pubkey(x509, key.pkey)

        let name = X509_get_subject_name(x509)
        for (field, value) in [("C", subject.country), ("ST", subject.state), ("L", subject.locality),
                               ("O", subject.organization), ("OU", subject.organizationalUnit),
                               ("CN", subject.commonName), ("emailAddress", subject.emailAddress)]
        where !value.isEmpty {
            guard X509_NAME_add_entry_by_txt(name, field, postern_MBSTRING_UTF8, value, -1, -1, 0) == 1 else {
                throw TLSError.drain(.certificate, "subject \(field)")
            }
        }
        let issuerCertificate = issuer?.certificate.x509 ?? x509
        X509_set_issuer_name(x509, X509_get_subject_name(issuerCertificate))

        var extensions: [(Int32, String)] = []
        switch usage {
        case .authority:
            extensions = [(NID_basic_constraints, "critical,CA:TRUE"), (NID_key_usage, "critical,keyCertSign,cRLSign")]
        case .mailServer:
            // An ECDSA key only signs (RFC 8813 §3): no keyEncipherment.
            extensions = [(NID_basic_constraints, "critical,CA:FALSE"),
                          (NID_key_usage, keyType == .rsa ? "critical,digitalSignature,keyEncipherment"
                                                          : "critical,digitalSignature"),
                          (NID_ext_key_usage, "serverAuth,clientAuth")]
        case .client:
            extensions = [(NID_basic_constraints, "critical,CA:FALSE"), (NID_key_usage, "critical,digitalSignature"),
                          (NID_ext_key_usage, "clientAuth")]
        }
        extensions.append((NID_subject_key_identifier, "hash"))
        if issuer != nil { extensions.append((NID_authority_key_identifier, "keyid:always")) }
        if !dnsNames.isEmpty {
            extensions.append((NID_subject_alt_name, dnsNames.map { "DNS:\($0)" }.joined(separator: ",")))
        }
        var context = X509V3_CTX()
        postern_X509V3_set_ctx_nodb(&context)
        X509V3_set_ctx(&context, issuerCertificate, x509, nil, nil, 0)
        for (nid, value) in extensions {
            guard let ext = X509V3_EXT_conf_nid(nil, &context, nid, value) else {
                throw TLSError.drain(.certificate, "extension \(value)")
            }
            X509_add_ext(x509, ext, -1)
            X509_EXTENSION_free(ext)
        }
        let signingKey = issuer?.key.pkey ?? key.pkey
        guard X509_sign(x509, signingKey, EVP_sha256()) > 0 else { throw TLSError.drain(.certificate, "X509_sign") }
        return CertifiedKey(certificate: certificate, key: key)
    }
}
