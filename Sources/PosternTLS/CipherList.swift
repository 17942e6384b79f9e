import COpenSSL
import PosternConfig

/// One cipher as `openssl ciphers -v` prints it.
public struct CipherDescription: Sendable, Hashable {
    /// The OpenSSL name (`ECDHE-RSA-AES256-GCM-SHA384`).
    public let name: String
    /// The line exactly as `SSL_CIPHER_description` writes it, without the newline.
    public let line: String
    /// The lowest protocol version the cipher works with (`TLSv1.2`).
    public let minimumProtocol: String
}

/// Cipher-string expansion for `sslconfig` VERIFY, by the same calls the engine's context
/// makes: `SSL_CTX_set_cipher_list`, then `SSL_get_ciphers` (`openssl ciphers -v`).
public enum CipherList {
    /// What `cipherString` expands to, TLS 1.3 suites first, as `openssl ciphers -v` lists it.
    /// With `supportedOnly`, only those usable at the security level and with `methods` (`-s -v`).
    public static func expand(
        _ cipherString: String, tls13Suites: String? = nil, methods: TLSMethods? = nil, supportedOnly: Bool = false
    ) throws(TLSError) -> [CipherDescription] {
        ERR_clear_error()
        guard let ctx = SSL_CTX_new(TLS_server_method()) else { throw TLSError.drain(.configuration, "SSL_CTX_new") }
        defer { SSL_CTX_free(ctx) }
        if let methods {
            var options: UInt64 = 0
            try TLSContext.applyMethods(methods, to: ctx, options: &options)
            SSL_CTX_set_options(ctx, options)
        }
        guard SSL_CTX_set_cipher_list(ctx, cipherString) == 1 else {
            throw TLSError.drain(.configuration, "cipher string \"\(cipherString)\"")
        }
        if let tls13Suites, SSL_CTX_set_ciphersuites(ctx, tls13Suites) != 1 {
            throw TLSError.drain(.configuration, "TLS 1.3 suites \"\(tls13Suites)\"")
        }
        guard let ssl = SSL_new(ctx) else { throw TLSError.drain(.configuration, "SSL_new") }
        defer { SSL_free(ssl) }
        var out: [CipherDescription] = []
        if supportedOnly {
            guard let stack = SSL_get1_supported_ciphers(ssl) else { return [] }
            defer { postern_sk_SSL_CIPHER_free(stack) }
            collect(stack, into: &out)
        } else if let stack = SSL_get_ciphers(ssl) {
            collect(stack, into: &out)
        }
        return out
    }

    private static func collect(_ stack: OpaquePointer, into out: inout [CipherDescription]) {
        var buffer = [CChar](repeating: 0, count: 256)
        for i in 0..<postern_sk_SSL_CIPHER_num(stack) {
            guard let cipher = postern_sk_SSL_CIPHER_value(stack, i) else { continue }
            SSL_CIPHER_description(cipher, &buffer, Int32(buffer.count))
            var line = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            if line.hasSuffix("\n") { line.removeLast() }
            let name = String(cString: SSL_CIPHER_get_name(cipher))
            let minimum = String(cString: SSL_CIPHER_get_version(cipher))
            out.append(CipherDescription(name: name, line: line, minimumProtocol: minimum))
        }
    }

    /// The elements of a cipher string that select nothing on their own in this OpenSSL
    /// (`RC4-SHA` on a build without RC4). OpenSSL skips them silently when another element
    /// matches; the CLI names them instead. Operators (`!RC4`, `-aNULL`, `+AES`, `@STRENGTH`)
    /// only remove or reorder, so they are not checked.
    public static func deadElements(of cipherString: String) -> [String] {
        let elements = cipherString.split(whereSeparator: { $0 == ":" || $0 == "," || $0 == " " }).map(String.init)
        return elements.filter { element in
            guard let first = element.first, !"!-+@".contains(first) else { return false }
            return (try? expand(element)).map { $0.allSatisfy { $0.minimumProtocol == "TLSv1.3" } } ?? true
        }
    }

    /// The OpenSSL version string of the library in use (`OpenSSL 3.0.19 27 Jan 2026`).
    public static var libraryVersion: String { String(cString: OpenSSL_version(OPENSSL_VERSION)) }
}
