import COpenSSL
import PosternConfig

extension TLSContext {
    /// A server's resumption settings: the session cache and tickets on or off, the lifetime
    /// a session may be resumed for, and (when given) the engine's ticket keys instead of
    /// the random ones OpenSSL makes for each context, which a reload would forget.
    static func applyResumption(_ resumption: SessionResumption, ticketKeys: SessionTicketKeys?,
                                to ctx: OpaquePointer) throws(TLSError)
    {
        guard resumption.enabled else {
            _ = postern_SSL_CTX_set_session_cache_mode(ctx, postern_SSL_SESS_CACHE_OFF)
            SSL_CTX_set_options(ctx, postern_SSL_OP_NO_TICKET)
            // TLS 1.3 sends tickets after the handshake unless told to send none.
            SSL_CTX_set_num_tickets(ctx, 0)
            return
        }
        _ = postern_SSL_CTX_set_session_cache_mode(ctx, postern_SSL_SESS_CACHE_SERVER)
        // One TLS 1.3 ticket per full handshake, not OpenSSL's two: a sending MTA keeps one
        // session per destination (Postfix's smtp_tls_session_cache, Exim's), and offers it
        // again on every connection, which a stateless ticket allows. The second would cost a
        // session encoding, an encryption and a MAC per handshake for nothing; Postfix's
        // server sends one too. A resumption under the newest key gets none (the callback).
        SSL_CTX_set_num_tickets(ctx, 1)
        // The session timeout is also the lifetime a TLS 1.2 ticket hint and a TLS 1.3
        // NewSessionTicket announce.
        SSL_CTX_set_timeout(ctx, resumption.ticketLifetime)
        guard let ticketKeys else { return }
        // ex_data slot 0 (the "app data"): the callback finds the keys from the SSL's context.
        // The TLSContext keeps them alive as long as the SSL_CTX is.
        SSL_CTX_set_ex_data(ctx, 0, Unmanaged.passUnretained(ticketKeys).toOpaque())
        guard SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticketKeyCallback) == 1 else {
            throw TLSError.drain(.configuration, "session ticket keys")
        }
    }
}

/// OpenSSL's ticket key callback (SSL_CTX_set_tlsext_ticket_key_evp_cb(3)). Encrypting
/// (`enc` 1): names the newest key, draws an IV, sets up AES-256-CBC and HMAC-SHA256;
/// 1 issues the ticket, 0 issues none. Decrypting: 0 when no key has the ticket's name
/// (a full handshake follows), 1 for the newest key, 2 for an older one (the session
/// resumes and gets a new ticket), -1 on an error.
private let ticketKeyCallback: @convention(c) (
    OpaquePointer?, UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<UInt8>?, OpaquePointer?, OpaquePointer?, Int32
) -> Int32 = { ssl, name, iv, cipherContext, macContext, encrypt in
    guard let ssl, let name, let iv, let context = SSL_get_SSL_CTX(ssl),
        let opaque = SSL_CTX_get_ex_data(context, 0)
    else { return -1 }
    let keys = Unmanaged<SessionTicketKeys>.fromOpaque(opaque).takeUnretainedValue()
    let cipher = EVP_aes_256_cbc()
    if encrypt == 1 {
        guard let key = keys.newest else { return 0 }
        key.name.withUnsafeBufferPointer { name.update(from: $0.baseAddress!, count: SessionTicketKey.nameLength) }
        let ivLength = EVP_CIPHER_get_iv_length(cipher)
        guard RAND_bytes(iv, ivLength) == 1,
            EVP_EncryptInit_ex(cipherContext, cipher, nil, key.cipherKey, iv) == 1,
            setMACKey(key.macKey, macContext)
        else { return -1 }
        return 1
    }
    let named = UnsafeRawBufferPointer(start: name, count: SessionTicketKey.nameLength)
    guard let (key, newest) = keys.key(named: named) else { return 0 }
    guard EVP_DecryptInit_ex(cipherContext, cipher, nil, key.cipherKey, iv) == 1, setMACKey(key.macKey, macContext)
    else { return -1 }
    return newest ? 1 : 2
}

/// The OSSL_PARAM names and digest `setMACKey` passes: an OSSL_PARAM keeps the pointers it
/// is given, so they must outlive the call (never a temporary a Swift string bridges to).
/// Made once; a ticket costs no allocation for them.
nonisolated(unsafe) private let macParameterNames = (key: strdup("key")!, digest: strdup("digest")!, sha256: strdup("SHA256")!)

/// HMAC-SHA256 with the key; EVP_MAC_CTX_set_params copies the key bytes and only reads them.
private func setMACKey(_ key: [UInt8], _ macContext: OpaquePointer?) -> Bool {
    key.withUnsafeBytes { keyBytes in
        var params = (
            OSSL_PARAM_construct_octet_string(macParameterNames.key, UnsafeMutableRawPointer(mutating: keyBytes.baseAddress),
                                              keyBytes.count),
            OSSL_PARAM_construct_utf8_string(macParameterNames.digest, macParameterNames.sha256, 0),
            OSSL_PARAM_construct_end()
        )
        return withUnsafeMutablePointer(to: &params) {
            $0.withMemoryRebound(to: OSSL_PARAM.self, capacity: 3) { EVP_MAC_CTX_set_params(macContext, $0) == 1 }
        }
    }
}
