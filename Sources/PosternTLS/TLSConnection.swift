import COpenSSL

/// One TLS session over two memory BIOs: ciphertext is fed in and drained out by the
/// caller (the engine's channel handler), so OpenSSL never touches a socket.
/// Not thread-safe: it belongs to one connection on one event loop.
public final class TLSConnection {
    private let ssl: OpaquePointer
    private let incoming: OpaquePointer
    private let outgoing: OpaquePointer
    /// Kept alive for as long as the SSL refers to it.
    public let context: TLSContext

    /// How the peer's certificate is treated (asyncos-cli.md §3.1 Verify levels).
    public enum PeerVerification: Sendable {
        /// Not requested (server) or not checked (client).
        case none
        /// Requested; a certificate that is sent must verify, none at all is allowed.
        case ifPresented
        /// Required and must verify.
        case required
    }

    /// The outcome of a step that may need more bytes from the peer.
    public enum Step: Equatable, Sendable {
        case complete
        case wantsMoreData
    }

    /// The outcome of reading plaintext.
    public enum ReadResult: Equatable, Sendable {
        case bytes(Int)
        case wantsMoreData
        /// The peer sent close_notify.
        case closed
    }

    /// - Parameter resuming: a session this client offers to resume (ignored on a server).
    public init(context: TLSContext, verification: PeerVerification = .none, serverName: String? = nil,
                resuming: TLSSession? = nil) throws(TLSError) {
        ERR_clear_error()
        guard let ssl = SSL_new(context.ctx) else { throw TLSError.drain(.handshake, "SSL_new") }
        guard let incoming = BIO_new(BIO_s_mem()) else {
            SSL_free(ssl)
            throw TLSError.drain(.handshake, "BIO_new")
        }
        guard let outgoing = BIO_new(BIO_s_mem()) else {
            BIO_free(incoming)  // not yet the SSL's: nobody else would free it
            SSL_free(ssl)
            throw TLSError.drain(.handshake, "BIO_new")
        }
        // An empty memory BIO must read as "retry", not as end of file.
        _ = postern_BIO_set_mem_eof_return(incoming, -1)
        _ = postern_BIO_set_mem_eof_return(outgoing, -1)
        SSL_set_bio(ssl, incoming, outgoing)  // the SSL owns both BIOs from here
        self.ssl = ssl
        self.incoming = incoming
        self.outgoing = outgoing
        self.context = context
        switch verification {
        case .none: SSL_set_verify(ssl, SSL_VERIFY_NONE, nil)
        case .ifPresented: SSL_set_verify(ssl, SSL_VERIFY_PEER, nil)
        case .required: SSL_set_verify(ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nil)
        }
        switch context.role {
        case .server:
            // Per connection, because the verification is per connection (the HAT policy):
            // a session resumes only under the requirement it was made under.
            let sid = context.sessionIDContext(for: verification)
            SSL_set_session_id_context(ssl, sid, UInt32(sid.count))
            SSL_set_accept_state(ssl)
        case .client:
            if let serverName { _ = postern_SSL_set_tlsext_host_name(ssl, serverName) }
            if let resuming { SSL_set_session(ssl, resuming.session) }
            SSL_set_connect_state(ssl)
        }
    }

    deinit { SSL_free(ssl) }

    /// Hands ciphertext from the peer to OpenSSL; a memory BIO takes all of it.
    public func feed(_ ciphertext: UnsafeRawBufferPointer) {
        guard let base = ciphertext.baseAddress, ciphertext.count > 0 else { return }
        BIO_write(incoming, base, Int32(ciphertext.count))
    }

    /// Advances the handshake as far as the bytes fed so far allow.
    public func handshake() throws(TLSError) -> Step {
        ERR_clear_error()
        let rc = SSL_do_handshake(ssl)
        if rc == 1 { return .complete }
        switch SSL_get_error(ssl, rc) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            return .wantsMoreData
        default:
            throw handshakeError()
        }
    }

    private func handshakeError() -> TLSError {
        let error = TLSError.drain(.handshake, "handshake", fallback: "the peer closed the connection")
        let verify = SSL_get_verify_result(ssl)
        if verify != X509_V_OK, let text = X509_verify_cert_error_string(verify) {
            return TLSError(kind: .handshake, operation: "handshake",
                            reasons: error.reasons + ["certificate verification: \(String(cString: text))"])
        }
        return error
    }

    /// Decrypts into `buffer`.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(TLSError) -> ReadResult {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return .wantsMoreData }
        ERR_clear_error()
        var count = 0
        let rc = SSL_read_ex(ssl, base, buffer.count, &count)
        if rc == 1 { return .bytes(count) }
        switch SSL_get_error(ssl, rc) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            return .wantsMoreData
        case SSL_ERROR_ZERO_RETURN:
            return .closed
        default:
            throw TLSError.drain(.io, "read")
        }
    }

    /// Encrypts all of `plaintext` into the outgoing BIO (drain it with `readOutput`).
    public func write(_ plaintext: UnsafeRawBufferPointer) throws(TLSError) {
        guard let base = plaintext.baseAddress, plaintext.count > 0 else { return }
        ERR_clear_error()
        var written = 0
        // Without SSL_MODE_ENABLE_PARTIAL_WRITE, success means every byte was taken; with
        // renegotiation off and memory BIOs, a write never waits for the peer.
        guard SSL_write_ex(ssl, base, plaintext.count, &written) == 1 else {
            throw TLSError.drain(.io, "write")
        }
    }

    /// Queues close_notify (a one-way shutdown: SMTP has said QUIT, nothing more is read).
    public func shutdown() {
        ERR_clear_error()
        SSL_shutdown(ssl)
        ERR_clear_error()
    }

    /// Bytes fed but not yet read as plaintext: decrypted and waiting, plus ciphertext not yet
    /// decrypted. The plaintext still to come from them is at most this many bytes.
    public var bufferedInput: Int { Int(SSL_pending(ssl)) + Int(BIO_ctrl_pending(incoming)) }

    /// Ciphertext waiting to go to the peer.
    public var pendingOutput: Int { Int(BIO_ctrl_pending(outgoing)) }

    /// Moves up to `buffer.count` bytes of waiting ciphertext into `buffer`.
    public func readOutput(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        let n = BIO_read(outgoing, base, Int32(buffer.count))
        return max(0, Int(n))
    }

    /// All waiting ciphertext as an array (tests and the client side).
    public func takeOutput() -> [UInt8] {
        let count = pendingOutput
        guard count > 0 else { return [] }
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            initialized = readOutput(into: UnsafeMutableRawBufferPointer(buffer))
        }
    }

    /// `TLSv1.3`, `TLSv1.2`: the AsyncOS log's protocol field.
    public var protocolVersion: String { String(cString: SSL_get_version(ssl)) }

    /// The OpenSSL name of the negotiated cipher (`TLS_AES_256_GCM_SHA384`, `ECDHE-RSA-AES128-GCM-SHA256`).
    public var cipherName: String {
        guard let cipher = SSL_get_current_cipher(ssl) else { return "NONE" }
        return String(cString: SSL_CIPHER_get_name(cipher))
    }

    public var cipherBits: Int {
        guard let cipher = SSL_get_current_cipher(ssl) else { return 0 }
        return Int(SSL_CIPHER_get_bits(cipher, nil))
    }

    /// The session to offer on a later connection (a client's; in TLS 1.3 it exists once the
    /// server's ticket has been read), or nil.
    public var session: TLSSession? {
        guard let session = SSL_get1_session(ssl) else { return nil }
        let owned = TLSSession(taking: session)
        return owned.isResumable ? owned : nil
    }

    /// Whether the handshake resumed an earlier session (no certificate was exchanged in it).
    public var sessionReused: Bool { SSL_session_reused(ssl) == 1 }

    /// The certificate the peer presented, if any.
    public var peerCertificate: Certificate? {
        guard let x509 = SSL_get1_peer_certificate(ssl) else { return nil }
        return Certificate(taking: x509)
    }

    /// Whether the presented certificate chain verified against the context's authorities.
    public var peerVerified: Bool {
        SSL_get0_peer_certificate(ssl) != nil && SSL_get_verify_result(ssl) == X509_V_OK
    }

    /// OpenSSL's sentence for the verification result (`self-signed certificate`).
    public var peerVerificationText: String {
        String(cString: X509_verify_cert_error_string(SSL_get_verify_result(ssl)))
    }
}

/// A TLS session a client may offer to resume; owns one reference to the `SSL_SESSION`.
public final class TLSSession: @unchecked Sendable {
    // @unchecked: an SSL_SESSION is reference-counted by OpenSSL and only read once made.
    let session: OpaquePointer

    init(taking session: OpaquePointer) { self.session = session }

    deinit { SSL_SESSION_free(session) }

    var isResumable: Bool { SSL_SESSION_is_resumable(session) == 1 }
}
