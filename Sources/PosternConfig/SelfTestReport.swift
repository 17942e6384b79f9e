import Foundation

/// What `selftest` found when it checked the live listeners from loopback (`posternd
/// --selftest` prints it as JSON; the CLI renders it).
public struct SelfTestReport: Codable, Hashable, Sendable {
    public var listeners: [Listener]
    public var problems: [String]

    public struct Listener: Codable, Hashable, Sendable {
        public var name: String
        public var address: String
        public var port: Int
        /// The sender group and policy a connection from 127.0.0.1 (::1 on IPv6) meets, and its
        /// TLS level (what this report held before it checked every group).
        public var group: String
        public var policy: String
        public var tls: String
        /// Every check made on the listener: those of each sender group (`group` names it) and
        /// those of the listener as a whole (`group` nil).
        public var checks: [Check]
        /// Every sender group of the HAT, then ALL: the loopback source that stood for it, or
        /// why none could.
        public var groups: [Group]
        /// Why the listener's protocol versions and ciphers were not checked (no checked group
        /// offers TLS without -Verify); nil when they were.
        public var tlsSkipped: String?

        public init(name: String, address: String, port: Int, group: String, policy: String, tls: String,
                    checks: [Check] = [], groups: [Group] = []) {
            self.name = name
            self.address = address
            self.port = port
            self.group = group
            self.policy = policy
            self.tls = tls
            self.checks = checks
            self.groups = groups
        }
    }

    public struct Group: Codable, Hashable, Sendable {
        public var name: String
        /// The loopback address the checks of this group were made from; nil when skipped.
        public var source: String?
        /// Why no loopback source can stand for the group.
        public var skipped: String?
        /// What the source met: the policy (`$ACCEPTED`, or a behaviour) and its TLS level.
        public var policy: String?
        public var tls: String?

        public init(name: String, source: String? = nil, skipped: String? = nil, policy: String? = nil,
                    tls: String? = nil) {
            self.name = name
            self.source = source
            self.skipped = skipped
            self.policy = policy
            self.tls = tls
        }
    }

    public struct Check: Codable, Hashable, Sendable {
        public var name: String
        /// The clause the check holds the listener to (`RFC 3207 §4.2`).
        public var clause: String
        public var passed: Bool
        /// What was seen (why it failed).
        public var detail: String
        /// The sender group it was made for; nil for a check of the listener as a whole.
        public var group: String?

        public init(_ name: String, _ clause: String, passed: Bool, detail: String = "", group: String? = nil) {
            self.name = name
            self.clause = clause
            self.passed = passed
            self.detail = detail
            self.group = group
        }
    }

    public init(listeners: [Listener] = [], problems: [String] = []) {
        self.listeners = listeners
        self.problems = problems
    }

    public var failures: Int { listeners.reduce(0) { $0 + $1.checks.filter { !$0.passed }.count } + problems.count }

    public static func decode(_ data: Data) throws -> SelfTestReport {
        try JSONCoding.decoder.decode(SelfTestReport.self, from: data)
    }

    public func encoded() throws -> Data {
        try JSONCoding.pretty.encode(self)
    }
}

extension SelfTestReport {
    /// The checks for one listener from what a client that never starts TLS (`plain`) and one
    /// that starts it when offered (`tls`) met, under the TLS level `level` of the policy.
    /// `pipelined`: a client that wrote `HELP` in the clear in the same segment as STARTTLS.
    public static func checks(level: TLSLevel, plain: ProbeConnection, tls: ProbeConnection,
                              pipelined: ProbeConnection? = nil, reset: ProbeConnection? = nil) -> [Check] {
        var checks: [Check] = []
        if let refused = plain.refused ?? tls.refused {
            return [Check("Connection", "RFC 5321 §3.1", passed: false, detail: refused)]
        }
        checks.append(Check(
            "STARTTLS advertised only where the policy allows it", "RFC 3207 §4",
            passed: plain.startTLSOffered == level.offersTLS,
            detail: "policy TLS \(level.label); STARTTLS \(plain.startTLSOffered ? "advertised" : "not advertised")"))
        if level.requiresTLS {
            // Every command but NOOP, EHLO, STARTTLS and QUIT (and HELO, EHLO's older form).
            let exempt: Set<String> = ["NOOP", "EHLO", "HELO", "STARTTLS", "QUIT"]
            let subject = (plain.exchangesInClear ?? []).filter {
                !exempt.contains(String($0.command.split(separator: " ").first ?? "").uppercased())
            }
            let wrong = subject.filter { !$0.reply.hasPrefix("530") }
            let detail = subject.isEmpty ? "no command was answered"
                : (wrong.isEmpty ? subject : wrong).map { "\($0.command) → \($0.reply)" }.joined(separator: "; ")
            checks.append(Check("530 for every command but NOOP, EHLO, STARTTLS and QUIT under Required", "RFC 3207 §4",
                                passed: !subject.isEmpty && wrong.isEmpty, detail: detail))
        }
        guard tls.startTLSOffered else { return checks }
        if let failure = tls.handshakeFailure {
            // Only Required - Verify refuses a client without a certificate; Preferred - Verify
            // refuses an invalid one and lets one without any in.
            let verify = level == .requiredVerify
            checks.append(Check(verify ? "Client without a certificate refused under -Verify" : "TLS handshake",
                                "RFC 3207 §4.1", passed: verify, detail: failure))
            return checks
        }
        if level == .requiredVerify {
            checks.append(Check("Client without a certificate refused under -Verify", "RFC 3207 §4.1", passed: false,
                                detail: "the handshake completed without a client certificate"))
        }
        if let after = tls.ehloAfterTLS {
            let again = after.contains { $0.uppercased().hasPrefix("STARTTLS") }
            checks.append(Check("STARTTLS not advertised after TLS", "RFC 3207 §4.2", passed: !again,
                                detail: again ? "the EHLO after TLS lists STARTTLS" : "not listed"))
        } else {
            checks.append(Check("EHLO answered after TLS", "RFC 3207 §4.2", passed: false,
                                detail: "no 250 to the EHLO after the handshake"))
        }
        if let pipelined, pipelined.refused == nil, pipelined.handshakeFailure == nil {
            // Discarded, the first reply inside TLS answers the EHLO; answered, it is HELP's.
            let first = pipelined.firstReplyAfterTLS ?? "(none)"
            let answered = pipelined.firstReplyAfterTLS != nil && !first.hasPrefix("250")
            checks.append(Check("Plaintext pipelined behind STARTTLS discarded (CVE-2011-0411)", "RFC 3207 §5",
                                passed: !answered,
                                detail: answered ? "HELP sent in the clear with STARTTLS was answered inside TLS: \(first)"
                                    : "not answered"))
        }
        if let reset, reset.refused == nil, reset.handshakeFailure == nil, let first = reset.firstReplyAfterTLS {
            // After the handshake the server knows no EHLO: MAIL first must be refused (503).
            checks.append(Check("Session reset after STARTTLS (EHLO needed again)", "RFC 3207 §4.2",
                                passed: first.hasPrefix("5"), detail: "MAIL before EHLO inside TLS: \(first)"))
        }
        if let verified = tls.chainVerified {
            checks.append(Check(chainCheck, "RFC 5280 §6", passed: verified,
                                detail: tls.verifyResult ?? ""))
        }
        if let matches = tls.certificateMatchesHost {
            checks.append(Check(hostNameCheck, "RFC 6125 §6.4", passed: matches,
                                detail: tls.certificateSubject ?? ""))
        }
        return checks
    }

    /// The checks of the listener's certificate: the same for every sender group, so reported once.
    public static let chainCheck = "Certificate chain complete up to a trusted authority"
    public static let hostNameCheck = "Certificate names the listener's host name"

    /// The versions a handshake succeeded with must be exactly those sslconfig INBOUND lists.
    public static func protocolCheck(accepted: [TLSProtocolVersion], configured: TLSMethods) -> Check {
        let wanted = configured.versions.filter { $0.unavailableReason == nil }
        let said = accepted.isEmpty ? "none" : TLSMethods(accepted).label
        return Check("Protocol versions exactly those sslconfig INBOUND lists", "RFC 8996, sslconfig",
                     passed: Set(accepted) == Set(wanted),
                     detail: "accepted \(said); configured \(TLSMethods(wanted).label)")
    }

    /// The TLS 1.3 cipher suites OpenSSL implements (RFC 8446 §B.4).
    public static let tls13Suites = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
                                     "TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_8_SHA256"]

    /// The TLS 1.3 suites a handshake succeeded with must be exactly those sslconfig INBOUND lists.
    public static func suiteCheck(accepted: [String], configured: String) -> Check {
        let wanted = configured.split(separator: ":").map(String.init).filter(tls13Suites.contains)
        let said = { (list: [String]) in list.isEmpty ? "none" : list.sorted().joined(separator: ", ") }
        return Check("TLS 1.3 suites exactly those sslconfig INBOUND lists", "RFC 8446 §B.4, sslconfig",
                     passed: Set(accepted) == Set(wanted), detail: "accepted \(said(accepted)); configured \(said(wanted))")
    }

    /// The TLS 1.2 ciphers a handshake succeeded with (one client per cipher) must be exactly
    /// those the INBOUND cipher string expands to (VERIFY's list) that the certificate can serve:
    /// those whose authentication (`Au=RSA`, from `openssl ciphers -v` lines) matches the ciphers
    /// that were accepted.
    public static func cipherCheck(accepted: [(name: String, line: String)], configured: [(name: String, line: String)])
        -> Check {
        func au(_ line: String) -> String? { line.split(separator: " ").first { $0.hasPrefix("Au=") }.map(String.init) }
        let served = Set(accepted.compactMap { au($0.line) })
        let wanted = Set(configured.filter { au($0.line).map(served.contains) ?? false }.map(\.name))
        let got = Set(accepted.map(\.name))
        var detail = "\(got.count) accepted, \(wanted.count) configured for this certificate"
        let extra = got.subtracting(wanted).sorted(), missing = wanted.subtracting(got).sorted()
        if !extra.isEmpty { detail += "; not configured but accepted: " + extra.joined(separator: ", ") }
        if !missing.isEmpty { detail += "; configured but refused: " + missing.joined(separator: ", ") }
        return Check("TLS 1.2 ciphers exactly those sslconfig INBOUND lists", "RFC 5246 §7.4.1.2, sslconfig",
                     passed: !got.isEmpty && extra.isEmpty && missing.isEmpty, detail: detail)
    }
}
