import COpenSSL

/// A failure in OpenSSL, with the error queue drained into sentences.
public struct TLSError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// Building a context from the configuration (cipher string, certificate, key).
        case configuration
        /// The handshake with a peer.
        case handshake
        /// Reading or writing records after the handshake.
        case io
        /// Reading, generating or checking a certificate or key.
        case certificate
    }

    public let kind: Kind
    /// What was being done (`SSL_CTX_set_cipher_list`, `handshake`).
    public let operation: String
    /// OpenSSL's reason strings, first error first (`no shared cipher`).
    public let reasons: [String]

    public init(kind: Kind, operation: String, reasons: [String]) {
        self.kind = kind
        self.operation = operation
        self.reasons = reasons
    }

    /// The error queue of this thread, drained; OpenSSL keeps it per thread, and each
    /// connection runs on one event-loop thread, so nothing of another connection's leaks in.
    static func drain(_ kind: Kind, _ operation: String, fallback: String? = nil) -> TLSError {
        var reasons: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            if let reason = ERR_reason_error_string(code) {
                reasons.append(String(cString: reason))
            } else {
                var buffer = [CChar](repeating: 0, count: 256)
                ERR_error_string_n(code, &buffer, buffer.count)
                reasons.append(buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
            }
        }
        if reasons.isEmpty, let fallback { reasons = [fallback] }
        return TLSError(kind: kind, operation: operation, reasons: reasons)
    }

    /// The first reason, or a generic one: what a log line or a CLI error shows.
    public var reason: String { reasons.first ?? "unknown error" }

    public var description: String {
        reasons.isEmpty ? "\(operation) failed" : "\(operation): " + reasons.joined(separator: "; ")
    }
}
