import CLDAP
import Foundation

/// An LDAP failure: the operation, OpenLDAP's result code and its words.
public struct LDAPError: Error, Sendable, CustomStringConvertible {
    public let operation: String
    public let code: Int32
    public let message: String

    /// The directory could not be reached or did not answer in time: a temporary failure,
    /// and the connection is not worth keeping.
    public var isUnavailable: Bool {
        code == LDAP_SERVER_DOWN || code == LDAP_TIMEOUT || code == LDAP_CONNECT_ERROR || code == LDAP_UNAVAILABLE
            || code == LDAP_BUSY || code == LDAP_TIMELIMIT_EXCEEDED || code == LDAP_LOCAL_ERROR
            || code == LDAP_UNWILLING_TO_PERFORM
    }

    public var isInvalidCredentials: Bool { code == LDAP_INVALID_CREDENTIALS }

    public var description: String { "\(operation): \(message) (\(code))" }

    init(_ operation: String, _ code: Int32) {
        self.operation = operation
        self.code = code
        self.message = String(cString: ldap_err2string(code))
    }
}

/// One connection to a directory; owns the `LDAP*` and unbinds it in `deinit`. Calls block
/// for at most the timeout given: use it from a worker thread, never an event loop.
public final class LDAPConnection {
    private let handle: OpaquePointer
    public let url: String

    /// Sets the connection up; nothing goes over the network until the first operation.
    /// `ldaps://` and StartTLS always verify the server's certificate and name: against
    /// `caFile` when given, else the authorities OpenLDAP is configured with (the system's).
    public init(url: String, timeoutSeconds: Int, caFile: String? = nil) throws(LDAPError) {
        var ld: OpaquePointer?
        let rc = ldap_initialize(&ld, url)
        guard rc == LDAP_SUCCESS, let ld else { throw LDAPError("ldap_initialize", rc) }
        handle = ld
        self.url = url
        var version: Int32 = LDAP_VERSION3
        ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version)
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        // Connecting, and every synchronous operation, give up after the timeout.
        ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &timeout)
        ldap_set_option(ld, LDAP_OPT_TIMEOUT, &timeout)
        // Referrals would take the user's password to another server.
        ldap_set_option(ld, LDAP_OPT_REFERRALS, nil)  // LDAP_OPT_OFF is a null pointer
        // Pinned rather than left to the host's ldap.conf.
        var demand: Int32 = LDAP_OPT_X_TLS_DEMAND
        ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand)
        if let caFile { ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, caFile) }
        // This handle's TLS options take effect only in a context of its own.
        var isServer: Int32 = 0
        ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &isServer)
    }

    deinit {
        ldap_unbind_ext_s(handle, nil, nil)
    }

    /// The StartTLS extended operation (RFC 4511 §4.14); the server's certificate is checked
    /// against the system's authorities.
    public func startTLS() throws(LDAPError) {
        let rc = ldap_start_tls_s(handle, nil, nil)
        guard rc == LDAP_SUCCESS else { throw LDAPError("StartTLS", rc) }
    }

    /// A simple bind (RFC 4513 §5.1); an empty DN and password is the anonymous bind.
    public func bind(dn: String, password: String) throws(LDAPError) {
        var bytes = Array(password.utf8)
        defer { for i in bytes.indices { bytes[i] = 0 } }
        let rc = bytes.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var credential = berval(bv_len: ber_len_t(buffer.count),
                                    bv_val: UnsafeMutableRawPointer(buffer.baseAddress)?.assumingMemoryBound(to: CChar.self))
            // LDAP_SASL_SIMPLE is a null mechanism name.
            return ldap_sasl_bind_s(handle, dn, nil, &credential, nil, nil, nil)
        }
        guard rc == LDAP_SUCCESS else { throw LDAPError("bind as \"\(dn)\"", rc) }
    }

    /// The DNs of the entries under `base` (whole subtree) that match `filter`, at most `limit`.
    public func search(base: String, filter: String, limit: Int32 = 2) throws(LDAPError) -> [String] {
        var result: OpaquePointer?
        var attributes: [UnsafeMutablePointer<CChar>?] = [strdup(LDAP_NO_ATTRS), nil]
        defer { free(attributes[0]) }
        let rc = ldap_search_ext_s(handle, base, LDAP_SCOPE_SUBTREE, filter, &attributes, 1, nil, nil, nil, limit,
                                   &result)
        defer { if let result { ldap_msgfree(result) } }
        guard rc == LDAP_SUCCESS || rc == LDAP_SIZELIMIT_EXCEEDED else { throw LDAPError("search", rc) }
        var dns: [String] = []
        var entry = ldap_first_entry(handle, result)
        while let current = entry {
            if let dn = ldap_get_dn(handle, current) {
                dns.append(String(cString: dn))
                ldap_memfree(dn)
            }
            entry = ldap_next_entry(handle, current)
        }
        if rc == LDAP_SIZELIMIT_EXCEEDED && dns.count < Int(limit) { dns.append("(more)") }
        return dns
    }

    /// Whether the entry's attribute holds the value (RFC 4511 §4.10).
    public func compare(dn: String, attribute: String, value: String) throws(LDAPError) -> Bool {
        var bytes = Array(value.utf8)
        defer { for i in bytes.indices { bytes[i] = 0 } }
        let rc = bytes.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var assertion = berval(bv_len: ber_len_t(buffer.count),
                                   bv_val: UnsafeMutableRawPointer(buffer.baseAddress)?.assumingMemoryBound(to: CChar.self))
            return ldap_compare_ext_s(handle, dn, attribute, &assertion, nil, nil)
        }
        switch rc {
        case LDAP_COMPARE_TRUE: return true
        case LDAP_COMPARE_FALSE, LDAP_NO_SUCH_ATTRIBUTE: return false
        default: throw LDAPError("compare \(attribute) of \"\(dn)\"", rc)
        }
    }
}
