import COpenSSL
import Foundation

/// An X.509 certificate; owns its `X509` and frees it.
public final class Certificate: @unchecked Sendable {
    // @unchecked: the X509 is never mutated after it is read or built, and OpenSSL's
    // read-only accessors on a shared X509 are thread-safe.
    let x509: OpaquePointer

    init(taking x509: OpaquePointer) {
        self.x509 = x509
    }

    deinit { X509_free(x509) }

    /// Reads every certificate in a PEM text, in order; fails when there is none.
    public static func readAll(pem: String) throws(TLSError) -> [Certificate] {
        ERR_clear_error()
        let bio = try MemoryBIO(text: pem)
        var certificates: [Certificate] = []
        while let x509 = PEM_read_bio_X509(bio.bio, nil, nil, nil) {
            certificates.append(Certificate(taking: x509))
        }
        ERR_clear_error()  // the loop ends on "no start line"
        guard !certificates.isEmpty else {
            throw TLSError(kind: .certificate, operation: "read certificate", reasons: ["Invalid certificate...discarding"])
        }
        return certificates
    }

    /// The first certificate of a PEM text.
    public convenience init(pem: String) throws(TLSError) {
        let all = try Certificate.readAll(pem: pem)
        X509_up_ref(all[0].x509)
        self.init(taking: all[0].x509)
    }

    public var pem: String {
        let bio = MemoryBIO()
        PEM_write_bio_X509(bio.bio, x509)
        return bio.text()
    }

    /// `CN=mail.example.com, O=Example` style, in OpenSSL's one-line RFC 2253 form.
    public var subject: String { Certificate.format(X509_get_subject_name(x509)) }
    public var issuer: String { Certificate.format(X509_get_issuer_name(x509)) }

    public var commonName: String? {
        guard let name = X509_get_subject_name(x509) else { return nil }
        var buffer = [CChar](repeating: 0, count: 256)
        let n = X509_NAME_get_text_by_NID(name, NID_commonName, &buffer, Int32(buffer.count))
        guard n >= 0 else { return nil }
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// The subjectAltName dNSName entries.
    public var dnsNames: [String] {
        guard let raw = X509_get_ext_d2i(x509, NID_subject_alt_name, nil, nil) else { return [] }
        let names = OpaquePointer(raw)
        defer { postern_GENERAL_NAMES_free(names) }
        var out: [String] = []
        for i in 0..<postern_sk_GENERAL_NAME_num(names) {
            if let name = postern_sk_GENERAL_NAME_value(names, i), let dns = postern_GENERAL_NAME_dns(name) {
                out.append(String(cString: dns))
            }
        }
        return out
    }

    public var notBefore: Date? { Certificate.date(X509_get0_notBefore(x509)) }
    public var notAfter: Date? { Certificate.date(X509_get0_notAfter(x509)) }

    /// Whether the issuer is the subject itself (a self-signed certificate such as the demo one).
    public var isSelfIssued: Bool { X509_NAME_cmp(X509_get_subject_name(x509), X509_get_issuer_name(x509)) == 0 }

    /// The SHA-256 fingerprint, colon-separated upper-case hex.
    public var sha256Fingerprint: String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        X509_digest(x509, EVP_sha256(), &digest, &length)
        return digest.prefix(Int(length)).map { String(format: "%02X", $0) }.joined(separator: ":")
    }

    /// The public key's type (nil for kinds other than RSA and ECDSA).
    public var keyType: KeyType? { X509_get0_pubkey(x509).flatMap { PrivateKey.type(of: $0) } }

    /// `RSA 2048`, `ECDSA P-256`.
    public var keyAlgorithm: String { X509_get0_pubkey(x509).map { PrivateKey.describe($0) } ?? "unknown key" }

    /// Whether the certificate's public key belongs to this private key
    /// (certconfig: `key does not sign certificate`).
    public func matches(_ key: PrivateKey) -> Bool {
        ERR_clear_error()
        defer { ERR_clear_error() }
        return X509_check_private_key(x509, key.pkey) == 1
    }

    /// Whether `hostname` matches the certificate's names (RFC 6125, wildcards in the left label).
    public func matchesHost(_ hostname: String) -> Bool {
        X509_check_host(x509, hostname, hostname.utf8.count, 0, nil) == 1
    }

    static func format(_ name: OpaquePointer?) -> String {
        guard let name else { return "" }
        let bio = MemoryBIO()
        X509_NAME_print_ex(bio.bio, name, 0, postern_XN_FLAG_RFC2253)
        return bio.text()
    }

    static func date(_ time: UnsafePointer<ASN1_TIME>?) -> Date? {
        guard let time else { return nil }
        var tm = tm()
        guard ASN1_TIME_to_tm(time, &tm) == 1 else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(timegm(&tm)))
    }
}

/// A private key; owns its `EVP_PKEY`.
public final class PrivateKey: @unchecked Sendable {
    // @unchecked: the key is immutable once read or generated.
    let pkey: OpaquePointer

    init(taking pkey: OpaquePointer) { self.pkey = pkey }

    deinit { EVP_PKEY_free(pkey) }

    public convenience init(pem: String) throws(TLSError) {
        ERR_clear_error()
        let bio = try MemoryBIO(text: pem)
        guard let pkey = PEM_read_bio_PrivateKey(bio.bio, nil, nil, nil) else {
            ERR_clear_error()
            throw TLSError(kind: .certificate, operation: "read private key", reasons: ["Invalid private key ...discarding"])
        }
        self.init(taking: pkey)
    }

    /// A new RSA key of `bits` bits.
    public static func generateRSA(bits: Int) throws(TLSError) -> PrivateKey {
        ERR_clear_error()
        guard let ctx = EVP_PKEY_CTX_new_id(postern_EVP_PKEY_RSA, nil) else {
            throw TLSError.drain(.certificate, "EVP_PKEY_CTX_new_id")
        }
        defer { EVP_PKEY_CTX_free(ctx) }
        var pkey: OpaquePointer?
        guard EVP_PKEY_keygen_init(ctx) == 1, EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, Int32(bits)) == 1,
            EVP_PKEY_keygen(ctx, &pkey) == 1, let pkey
        else { throw TLSError.drain(.certificate, "generate RSA key") }
        return PrivateKey(taking: pkey)
    }

    /// A new ECDSA key on P-256.
    public static func generateECDSA() throws(TLSError) -> PrivateKey {
        ERR_clear_error()
        guard let ctx = EVP_PKEY_CTX_new_from_name(nil, "EC", nil) else {
            throw TLSError.drain(.certificate, "EVP_PKEY_CTX_new_from_name")
        }
        defer { EVP_PKEY_CTX_free(ctx) }
        var pkey: OpaquePointer?
        guard EVP_PKEY_keygen_init(ctx) == 1, EVP_PKEY_CTX_set_group_name(ctx, "P-256") == 1,
            EVP_PKEY_keygen(ctx, &pkey) == 1, let pkey
        else { throw TLSError.drain(.certificate, "generate ECDSA key") }
        return PrivateKey(taking: pkey)
    }

    /// `RSA 2048`, `ECDSA P-256`: what `certconfig` and the listener summary show.
    public var algorithm: String { PrivateKey.describe(pkey) }

    /// The key's type, nil for kinds a certificate here never carries (DSA, Ed25519).
    public var type: KeyType? { PrivateKey.type(of: pkey) }

    static func type(of pkey: OpaquePointer) -> KeyType? {
        switch EVP_PKEY_get_base_id(pkey) {
        case NID_rsaEncryption: return .rsa
        case NID_X9_62_id_ecPublicKey: return .ecdsa
        default: return nil
        }
    }

    static func describe(_ pkey: OpaquePointer) -> String {
        let bits = Int(EVP_PKEY_get_bits(pkey))
        switch type(of: pkey) {
        case .rsa: return "RSA \(bits)"
        case .ecdsa:
            var name = [CChar](repeating: 0, count: 64)
            var length = 0
            if EVP_PKEY_get_group_name(pkey, &name, name.count, &length) == 1 {
                let group = name.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
                return "ECDSA \(group == "prime256v1" ? "P-256" : group)"
            }
            return "ECDSA \(bits)"
        case nil: return "\(String(cString: OBJ_nid2sn(EVP_PKEY_get_base_id(pkey)))) \(bits)"
        }
    }

    /// PKCS#8 PEM, unencrypted (the file holding it is mode 0600).
    public var pem: String {
        let bio = MemoryBIO()
        PEM_write_bio_PrivateKey(bio.bio, pkey, nil, nil, 0, nil, nil)
        return bio.text()
    }

    public var bits: Int { Int(EVP_PKEY_get_bits(pkey)) }
}

/// A memory BIO owned for the span of one read or write.
final class MemoryBIO {
    let bio: OpaquePointer
    /// The bytes a read-only BIO reads in place; freed with the BIO.
    private let storage: UnsafeMutableRawBufferPointer?

    init() {
        bio = BIO_new(BIO_s_mem())
        storage = nil
    }

    init(text: String) throws(TLSError) {
        let bytes = Array(text.utf8)
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, bytes.count), alignment: 1)
        storage.copyBytes(from: bytes)
        guard let bio = BIO_new_mem_buf(storage.baseAddress, Int32(bytes.count)) else {
            storage.deallocate()
            throw TLSError.drain(.certificate, "BIO_new_mem_buf")
        }
        self.bio = bio
        self.storage = storage
    }

    deinit {
        BIO_free(bio)
        storage?.deallocate()
    }

    func text() -> String {
        let count = Int(BIO_ctrl_pending(bio))
        var bytes = [UInt8](repeating: 0, count: count)
        let n = BIO_read(bio, &bytes, Int32(count))
        return String(decoding: bytes.prefix(max(0, Int(n))), as: UTF8.self)
    }
}
