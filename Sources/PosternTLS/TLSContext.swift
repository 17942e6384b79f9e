import COpenSSL
import Foundation
import PosternConfig

/// Where a context's certificate comes from: PEM files already resolved to paths.
public struct TLSIdentityFiles: Sendable, Hashable {
    public var certificatePath: String
    public var keyPath: String
    public var chainPath: String?

    public init(certificatePath: String, keyPath: String, chainPath: String? = nil) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        self.chainPath = chainPath
    }
}

/// The authorities that verify a peer's certificate.
public struct TLSTrust: Sendable, Hashable {
    public var useSystem: Bool
    /// A PEM bundle of extra authorities.
    public var customBundlePath: String?

    public init(useSystem: Bool, customBundlePath: String? = nil) {
        self.useSystem = useSystem
        self.customBundlePath = customBundlePath
    }

    public var isEmpty: Bool { !useSystem && customBundlePath == nil }
}

/// An OpenSSL `SSL_CTX` built from the configuration by a throwing init: if it exists, it
/// can serve. One per listener (server) or per outbound service (client).
public final class TLSContext: @unchecked Sendable {
    // @unchecked: the SSL_CTX is configured completely in init and never changed after;
    // OpenSSL allows SSL objects on many threads to share one such context.
    let ctx: OpaquePointer
    public let role: Role
    /// The security level OpenSSL ended with (2 unless the cipher string says `@SECLEVEL=n`).
    public let securityLevel: Int
    /// The listener's name and a digest of the authorities: with the verification level,
    /// what a session may be resumed within.
    /// The session-id contexts for no, optional and required peer verification, computed once:
    /// every STARTTLS sets one (`sessionIDContext`).
    private let sessionContexts: (none: [UInt8], ifPresented: [UInt8], required: [UInt8])
    /// The engine's ticket keys, kept alive as long as the SSL_CTX whose callback reads them.
    private let ticketKeys: SessionTicketKeys?

    public enum Role: Sendable {
        case server
        case client
    }

    /// The level pinned before the cipher string is applied, so the host's openssl.cnf
    /// does not decide; Debian builds OpenSSL 3 with 2 and so do we.
    public static let pinnedSecurityLevel: Int32 = 2

    /// - Parameter sessionLabel: names what the context serves (the listener), so that a
    ///   session never resumes under a context of another name (see `sessionIDContext`).
    /// - Parameter secondIdentity: a certificate with a key of the other type (ECDSA beside
    ///   RSA): OpenSSL keeps one per key type and picks, per handshake, the one the client's
    ///   signature algorithms allow, preferring ECDSA.
    public init(
        role: Role, settings: SSLServiceSettings, identity: TLSIdentityFiles?, secondIdentity: TLSIdentityFiles? = nil,
        trust: TLSTrust? = nil, sessionLabel: String = "", ticketKeys: SessionTicketKeys? = nil
    ) throws(TLSError) {
        ERR_clear_error()
        guard let ctx = SSL_CTX_new(role == .server ? TLS_server_method() : TLS_client_method()) else {
            throw TLSError.drain(.configuration, "SSL_CTX_new")
        }
        // Until every stored property is set, deinit cannot run: a throw below must free the
        // context here, or each bad cipher string in a commit check or reload leaks one.
        var built = false
        defer { if !built { SSL_CTX_free(ctx) } }
        SSL_CTX_set_security_level(ctx, TLSContext.pinnedSecurityLevel)
        // Renegotiation would make SSL_write want to read; compression invites CRIME.
        var options = postern_SSL_OP_NO_RENEGOTIATION | postern_SSL_OP_NO_COMPRESSION
        if role == .server { options |= postern_SSL_OP_CIPHER_SERVER_PREFERENCE }
        try TLSContext.applyMethods(settings.methods, to: ctx, options: &options)
        SSL_CTX_set_options(ctx, options)
        _ = postern_SSL_CTX_set_mode(ctx, postern_SSL_MODE_RELEASE_BUFFERS)
        if role == .server {
            // The chain sent is the certificate and the chain certconfig holds, nothing else:
            // OpenSSL would otherwise try to build one from the trust store on every
            // handshake whose certificate has no chain configured (a verification per
            // handshake, and a chain that changes with the client-verification authorities).
            _ = postern_SSL_CTX_set_mode(ctx, postern_SSL_MODE_NO_AUTO_CHAIN)
        }

        guard SSL_CTX_set_cipher_list(ctx, settings.ciphers) == 1 else {
            throw TLSError.drain(.configuration, "cipher string \"\(settings.ciphers)\"")
        }
        let suites = settings.methods.versions.contains(.tlsv1_3) ? settings.tls13Suites : ""
        guard SSL_CTX_set_ciphersuites(ctx, suites) == 1 else {
            throw TLSError.drain(.configuration, "TLS 1.3 suites \"\(settings.tls13Suites)\"")
        }
        let level = Int(SSL_CTX_get_security_level(ctx))
        if role == .server {
            _ = postern_SSL_CTX_set_dh_auto(ctx, 1)
            try TLSContext.applyResumption(settings.resumption, ticketKeys: ticketKeys, to: ctx)
        }
        var keyAuths: Set<Int32> = []
        for files in [identity, secondIdentity].compactMap({ $0 }) {
            if let auth = try TLSContext.loadIdentity(files, into: ctx) { keyAuths.insert(auth) }
        }
        var trustDigest: [UInt8] = []
        if let trust { trustDigest = try TLSContext.loadTrust(trust, into: ctx, role: role) }
        try TLSContext.checkOfferable(settings, ctx: ctx, securityLevel: level, keyAuths: role == .server ? keyAuths : [])
        self.ctx = ctx
        self.role = role
        self.securityLevel = level
        self.ticketKeys = ticketKeys
        let scope = Array(sessionLabel.utf8) + [0] + trustDigest
        // SHA-256 fills SSL_MAX_SID_CTX_LENGTH (32) exactly.
        func context(_ level: String) -> [UInt8] { TLSContext.sha256(scope + Array("\u{0}verify=\(level)".utf8)) }
        self.sessionContexts = (context("none"), context("if-presented"), context("required"))
        built = true
    }

    deinit { SSL_CTX_free(ctx) }

    /// Protocol range from the method set; versions missing inside the range are switched off.
    static func applyMethods(_ methods: TLSMethods, to ctx: OpaquePointer, options: inout UInt64) throws(TLSError) {
        for version in methods.versions {
            if let reason = version.unavailableReason {
                throw TLSError(kind: .configuration, operation: "method \(version.rawValue)", reasons: [reason])
            }
        }
        guard let low = methods.versions.first, let high = methods.versions.last else {
            throw TLSError(kind: .configuration, operation: "methods", reasons: ["no protocol version is enabled"])
        }
        _ = postern_SSL_CTX_set_min_proto_version(ctx, wireVersion(low))
        _ = postern_SSL_CTX_set_max_proto_version(ctx, wireVersion(high))
        let all: [(TLSProtocolVersion, UInt64)] = [
            (.tlsv1_0, postern_SSL_OP_NO_TLSv1), (.tlsv1_1, postern_SSL_OP_NO_TLSv1_1),
            (.tlsv1_2, postern_SSL_OP_NO_TLSv1_2), (.tlsv1_3, postern_SSL_OP_NO_TLSv1_3),
        ]
        for (version, flag) in all where version > low && version < high && !methods.versions.contains(version) {
            options |= flag
        }
    }

    static func wireVersion(_ version: TLSProtocolVersion) -> Int32 {
        switch version {
        case .sslv2, .sslv3: return SSL3_VERSION
        case .tlsv1_0: return TLS1_VERSION
        case .tlsv1_1: return TLS1_1_VERSION
        case .tlsv1_2: return TLS1_2_VERSION
        case .tlsv1_3: return TLS1_3_VERSION
        }
    }

    /// Loads a certificate and its key; returns the TLS 1.2 cipher authentication its key can
    /// serve (`NID_auth_rsa`, `NID_auth_ecdsa`), or nil for a key of another kind.
    private static func loadIdentity(_ identity: TLSIdentityFiles, into ctx: OpaquePointer) throws(TLSError) -> Int32? {
        guard SSL_CTX_use_certificate_file(ctx, identity.certificatePath, SSL_FILETYPE_PEM) == 1 else {
            throw TLSError.drain(.configuration, "certificate \(identity.certificatePath)")
        }
        if let chainPath = identity.chainPath {
            let text: String
            do { text = try String(contentsOfFile: chainPath, encoding: .utf8) } catch {
                throw TLSError(kind: .configuration, operation: "chain \(chainPath)", reasons: ["cannot be read"])
            }
            for certificate in try Certificate.readAll(pem: text) {
                guard postern_SSL_CTX_add1_chain_cert(ctx, certificate.x509) == 1 else {
                    throw TLSError.drain(.configuration, "chain \(chainPath)")
                }
            }
        }
        guard SSL_CTX_use_PrivateKey_file(ctx, identity.keyPath, SSL_FILETYPE_PEM) == 1 else {
            throw TLSError.drain(.configuration, "private key \(identity.keyPath)")
        }
        guard SSL_CTX_check_private_key(ctx) == 1 else {
            ERR_clear_error()
            throw TLSError(kind: .configuration, operation: "certificate \(identity.certificatePath)",
                           reasons: ["key does not sign certificate"])
        }
        switch SSL_CTX_get0_privatekey(ctx).map(EVP_PKEY_get_base_id) {
        case EVP_PKEY_RSA?, EVP_PKEY_RSA_PSS?: return NID_auth_rsa
        case EVP_PKEY_EC?, EVP_PKEY_ED25519?, EVP_PKEY_ED448?: return NID_auth_ecdsa
        default: return nil
        }
    }

    /// Loads the authorities; returns a digest of what they are (the system directory's
    /// name, the custom bundle's bytes) for the session-id context.
    private static func loadTrust(_ trust: TLSTrust, into ctx: OpaquePointer, role: Role) throws(TLSError) -> [UInt8] {
        var described: [UInt8] = Array("system=\(trust.useSystem)\u{0}".utf8)
        // The hashed directory, not the bundle: certificates are read when a chain needs them.
        // Parsing the whole bundle costs about 50 ms, paid at every commit check and reload.
        if trust.useSystem && SSL_CTX_load_verify_dir(ctx, X509_get_default_cert_dir()) != 1 {
            throw TLSError.drain(.configuration, "system certificate authorities")
        }
        if let bundle = trust.customBundlePath {
            guard SSL_CTX_load_verify_locations(ctx, bundle, nil) == 1 else {
                throw TLSError.drain(.configuration, "certificate authorities \(bundle)")
            }
            if role == .server, let names = SSL_load_client_CA_file(bundle) {
                SSL_CTX_set_client_CA_list(ctx, names)
            }
            described += Array("custom=\(bundle)\u{0}".utf8)
            // The bytes, not only the name: a re-imported bundle is another requirement.
            if let handle = FileHandle(forReadingAtPath: bundle) {
                described += [UInt8]((try? handle.readToEnd()) ?? Data())
                try? handle.close()
            }
        }
        return sha256(described)
    }

    /// Fails when the settings leave nothing a peer could negotiate: no cipher for any
    /// enabled version, only versions the security level forbids, or (a server without TLS
    /// 1.3) no TLS 1.2 cipher that the certificates' keys can sign for: an ECDSA certificate
    /// with only `aRSA` ciphers fails every handshake with "no shared cipher".
    private static func checkOfferable(_ settings: SSLServiceSettings, ctx: OpaquePointer, securityLevel: Int,
                                       keyAuths: Set<Int32>) throws(TLSError)
    {
        let below13 = settings.methods.versions.filter { $0 < .tlsv1_3 }
        if securityLevel >= 1 {
            let legacy = below13.filter { $0 < .tlsv1_2 }
            if !legacy.isEmpty && legacy.count == settings.methods.versions.count {
                throw TLSError(
                    kind: .configuration, operation: "methods \(settings.methods)",
                    reasons: ["\(legacy.map(\.label).joined(separator: " and ")) cannot be negotiated at security level "
                        + "\(securityLevel); add @SECLEVEL=0 to the cipher string or enable TLS v1.2"])
            }
        }
        guard let ssl = SSL_new(ctx) else { throw TLSError.drain(.configuration, "SSL_new") }
        defer { SSL_free(ssl) }
        guard let supported = SSL_get1_supported_ciphers(ssl) else {
            throw TLSError(kind: .configuration, operation: "cipher string \"\(settings.ciphers)\"",
                           reasons: ["no cipher is usable with the enabled methods \(settings.methods)"])
        }
        defer { postern_sk_SSL_CIPHER_free(supported) }
        if postern_sk_SSL_CIPHER_num(supported) == 0 {
            throw TLSError(kind: .configuration, operation: "cipher string \"\(settings.ciphers)\"",
                           reasons: ["no cipher is usable with the enabled methods \(settings.methods)"])
        }
        if !below13.isEmpty {
            var hasLegacyCipher = false
            for i in 0..<postern_sk_SSL_CIPHER_num(supported) {
                if let cipher = postern_sk_SSL_CIPHER_value(supported, i),
                    String(cString: SSL_CIPHER_get_version(cipher)) != "TLSv1.3"
                {
                    hasLegacyCipher = true
                    break
                }
            }
            if !hasLegacyCipher {
                throw TLSError(
                    kind: .configuration, operation: "cipher string \"\(settings.ciphers)\"",
                    reasons: ["it selects no cipher usable with \(below13.map(\.label).joined(separator: "/")) "
                        + "at security level \(securityLevel)"])
            }
        }
        let tls13 = settings.methods.versions.contains(.tlsv1_3) && !settings.tls13Suites.isEmpty
        guard !tls13, !keyAuths.isEmpty else { return }
        // Ciphers that need no certificate (anonymous, PSK, SRP) are served whatever the key.
        let served = keyAuths.union([NID_auth_null, NID_auth_psk, NID_auth_srp])
        for i in 0..<postern_sk_SSL_CIPHER_num(supported) {
            if let cipher = postern_sk_SSL_CIPHER_value(supported, i), served.contains(SSL_CIPHER_get_auth_nid(cipher)) {
                return
            }
        }
        let keys = keyAuths.map { $0 == NID_auth_rsa ? "RSA" : "ECDSA" }.sorted().joined(separator: " or ")
        throw TLSError(kind: .configuration, operation: "cipher string \"\(settings.ciphers)\"",
                       reasons: ["it selects no cipher that the certificate's \(keys) key can serve"])
    }

    /// The session-id context for a connection that treats the peer's certificate as said.
    /// OpenSSL reuses a session only in the context it was made in (SSL_set_session_id_context):
    /// a session id or a ticket, TLS 1.2 and 1.3 alike, from another context gets a full
    /// handshake instead. Without one context per requirement, a session made where no
    /// certificate was asked for resumed where one is required, skipping the verification a
    /// -Verify policy demands.
    public func sessionIDContext(for verification: TLSConnection.PeerVerification) -> [UInt8] {
        switch verification {
        case .none: return sessionContexts.none
        case .ifPresented: return sessionContexts.ifPresented
        case .required: return sessionContexts.required
        }
    }

    static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = bytes.withUnsafeBufferPointer { input in
            EVP_Digest(input.baseAddress, input.count, &digest, &length, EVP_sha256(), nil)
        }
        // Only a broken libcrypto fails SHA-256 over memory; nothing outside can cause it.
        precondition(ok == 1, "EVP_Digest(SHA-256) failed")
        return Array(digest.prefix(Int(length)))
    }
}
