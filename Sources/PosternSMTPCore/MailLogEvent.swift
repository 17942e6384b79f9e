/// A line of the AsyncOS-format mail log (asyncos-cli.md §7). The engine adds the time
/// and level prefix (`Sun Nov 29 10:00:00 2026 Info: `).
public enum MailLogEvent: Sendable, Hashable {
    case newConnection(icid: Int, interface: String, interfaceAddress: String, remote: String, reverseName: String,
                       verified: Bool)
    case policyMatch(icid: Int, behavior: String, group: String?, entry: String, sbrs: String)
    case tlsSuccess(icid: Int, protocol: String, cipher: String)
    case tlsFailed(icid: Int, reason: String)
    /// A TLS error after a completed handshake (not a failed negotiation).
    case tlsError(icid: Int, reason: String)
    /// The client closed the TCP connection without TLS close_notify.
    case tlsUncleanClose(icid: Int)
    case tlsRequiredNotInitiated(icid: Int)
    /// A sender on the policy's "TLS is Mandatory for Address List" sent MAIL FROM in plaintext.
    case tlsRequiredForSender(icid: Int, address: String, list: String)
    case plaintextDiscarded(icid: Int, bytes: Int)
    case clientCertificate(icid: Int, subject: String, verified: Bool)
    case startMessage(mid: Int, icid: Int)
    case sender(mid: Int, icid: Int, address: String)
    case recipient(mid: Int, icid: Int, rid: Int, address: String)
    case recipientRejected(mid: Int, icid: Int, address: String)
    case recipientRateLimited(mid: Int, icid: Int, address: String)
    case messageID(mid: Int, id: String)
    case subject(mid: Int, subject: String)
    case ready(mid: Int, bytes: Int, from: String)
    case queued(mid: Int)
    case discarded(mid: Int)
    case receivingFailed(icid: Int, reason: String)
    case close(icid: Int)
    case lost(icid: Int)
    case authSucceeded(icid: Int, user: String, mechanism: String, profile: String)
    case authFailed(icid: Int, user: String, mechanism: String, profile: String)
    case authTemporaryFailure(icid: Int, user: String, mechanism: String, profile: String, reason: String)
    case authLockedOut(icid: Int)
    /// The client sent bytes before the greeting (postscreen's PREGREET test); it is dropped.
    case pregreet(remote: String, bytes: Int)
    // Delivery (asyncos-cli.md §7, DCID lines).
    case newDelivery(dcid: Int, interface: String, address: String, port: Int)
    case deliveryTLSSuccess(dcid: Int, protocol: String, cipher: String, domain: String)
    case deliveryTLSFailed(dcid: Int, reason: String)
    case deliveryTLSRequired(dcid: Int, address: String, reason: String)
    case deliveryTLSVerification(dcid: Int, domain: String, verified: Bool, detail: String)
    case deliveryStart(dcid: Int, mid: Int, rids: [Int])
    case response(mid: Int, rids: [Int], text: String)
    case messageDone(dcid: Int, mid: Int, rids: [Int])
    case messageFinished(mid: Int, outcome: String)
    case deliveryClose(dcid: Int)
    case bounced(dcid: Int?, mid: Int, rid: Int, enhanced: String, reason: String, reply: String)
    case delayed(dcid: Int?, mid: Int, rid: Int, enhanced: String, reason: String)
    case connectionError(dcid: Int, address: String, details: String, interface: String, reason: String)
    case bounceQueued(mid: Int, bounceMID: Int)
    case alert(String)

    public enum Level: String, Sendable {
        case info = "Info"
        case warning = "Warning"
    }

    public var level: Level {
        switch self {
        case .tlsFailed, .tlsError, .tlsRequiredNotInitiated, .tlsRequiredForSender, .plaintextDiscarded, .receivingFailed, .pregreet,
             .deliveryTLSFailed, .authFailed, .authTemporaryFailure, .authLockedOut,
             .deliveryTLSRequired, .connectionError, .alert:
            return .warning
        default: return .info
        }
    }

    private func list(_ rids: [Int]) -> String { "[" + rids.map(String.init).joined(separator: ", ") + "]" }

    /// The line's text (the engine adds the time and level).
    public var line: String {
        var bytes: [UInt8] = []
        write(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the line's text to `bytes`. The lines every connection and every message log
    /// are put together byte by byte; the rare ones through string interpolation.
    public func write(to bytes: inout [UInt8]) {
        switch self {
        case let .newConnection(icid, interface, address, remote, name, verified):
            bytes.put("New SMTP ICID ", icid, " interface ", interface, " (", address, ") address ", remote)
            bytes.put(" reverse dns host ", name, " verified ", verified ? "yes" : "no")
        case let .policyMatch(icid, behavior, group, entry, sbrs):
            bytes.put("ICID ", icid, " ", behavior, " SG ", group ?? "None", " match ", entry, " SBRS ", sbrs)
        case let .tlsSuccess(icid, proto, cipher):
            bytes.put("ICID ", icid, " TLS success protocol ", proto, " cipher ", cipher)
        case let .close(icid):
            bytes.put("ICID ", icid, " close")
        case let .startMessage(mid, icid):
            bytes.put("Start MID ", mid, " ICID ", icid)
        case let .sender(mid, icid, address):
            bytes.put("MID ", mid, " ICID ", icid, " From: <", address, ">")
        case let .recipient(mid, icid, rid, address):
            bytes.put("MID ", mid, " ICID ", icid, " RID ", rid, " To: <", address, ">")
        case let .messageID(mid, id):
            bytes.put("MID ", mid, " Message-ID '", id, "'")
        case let .subject(mid, subject):
            bytes.put("MID ", mid, " Subject '", subject, "'")
        case let .ready(mid, count, from):
            bytes.put("MID ", mid, " ready ", count, " bytes from <", from, ">")
        case let .queued(mid):
            bytes.put("MID ", mid, " queued for delivery")
        default:
            bytes.put(interpolatedLine)
        }
    }

    /// The text of the lines `write(to:)` does not put together itself.
    private var interpolatedLine: String {
        switch self {
        case .newConnection, .policyMatch, .tlsSuccess, .close, .startMessage, .sender, .recipient, .messageID, .subject,
             .ready, .queued:
            return ""  // written by write(to:)
        case let .tlsFailed(icid, reason):
            return "ICID \(icid) TLS failed: \(reason)"
        case let .tlsError(icid, reason):
            return "ICID \(icid) TLS error after the handshake: \(reason)"  // [I]
        case let .tlsUncleanClose(icid):
            return "ICID \(icid) TLS connection closed by the client without close_notify"  // [I]
        case let .tlsRequiredNotInitiated(icid):
            return "ICID \(icid) TLS was required but remote host did not initiate it"
        case let .tlsRequiredForSender(icid, address, list):
            return "ICID \(icid) TLS was required for sender <\(address)> (address list \(list)) "
                + "but remote host did not initiate it"
        case let .plaintextDiscarded(icid, bytes):
            return "ICID \(icid) discarded \(bytes) plaintext bytes pipelined after STARTTLS"
        case let .clientCertificate(icid, subject, verified):
            return "ICID \(icid) client certificate \(subject) verified \(verified ? "yes" : "no")"
        case let .recipientRejected(mid, icid, address):
            return "MID \(mid) ICID \(icid) To: <\(address)> Rejected by RAT"
        case let .recipientRateLimited(mid, icid, address):
            // [I]: the wording of the sourced "Rejected by RAT" line, naming AsyncOS's receiving control.
            return "MID \(mid) ICID \(icid) To: <\(address)> Rejected by Receiving Control"
        case let .discarded(mid):
            return "MID \(mid) discarded by a blackhole listener"  // [I]
        case let .receivingFailed(icid, reason):
            return "ICID \(icid) Receiving Failed: \(reason)"
        case let .lost(icid):
            return "ICID \(icid) lost"
        case let .authSucceeded(icid, user, mechanism, profile):
            return "SMTP Auth: (ICID \(icid)) succeeded for user: \(Self.printable(user)) using AUTH mechanism: "
                + "\(mechanism) with profile: \(profile)"
        case let .authFailed(icid, user, mechanism, profile):
            // [I]: the sourced success line with "failed".
            return "SMTP Auth: (ICID \(icid)) failed for user: \(Self.printable(user)) using AUTH mechanism: "
                + "\(mechanism) with profile: \(profile)"
        case let .authTemporaryFailure(icid, user, mechanism, profile, reason):
            return "SMTP Auth: (ICID \(icid)) could not check user: \(Self.printable(user)) using AUTH mechanism: "
                + "\(mechanism) with profile: \(profile): \(reason)"
        case let .authLockedOut(icid):
            return "SMTP Auth: (ICID \(icid)) too many failed attempts from this address, disconnecting"
        case let .pregreet(remote, bytes):
            // [I]: postscreen's "PREGREET <n> ... from [address]", in this log's words.
            return "PREGREET \(bytes) bytes from \(remote) before the greeting; connection dropped"
        case let .newDelivery(dcid, interface, address, port):
            return "New SMTP DCID \(dcid) interface \(interface) address \(address) port \(port)"
        case let .deliveryTLSSuccess(dcid, proto, cipher, domain):
            return "DCID \(dcid) TLS success protocol \(proto) cipher \(cipher) for \(domain)"
        case let .deliveryTLSFailed(dcid, reason):
            return "DCID \(dcid) TLS failed: \(reason)"
        case let .deliveryTLSRequired(dcid, address, reason):
            return "DCID \(dcid) IP \(address) TLS was required but could not be successfully negotiated (\(reason))"
        case let .deliveryTLSVerification(dcid, domain, verified, detail):
            return "DCID \(dcid) TLS certificate \(verified ? "verified" : "verification failed") for \(domain): \(detail)"
        case let .deliveryStart(dcid, mid, rids):
            return "Delivery start DCID \(dcid) MID \(mid) to RID \(list(rids))"
        case let .response(mid, rids, text):
            return "MID \(mid) RID \(list(rids)) Response '\(text)'"
        case let .messageDone(dcid, mid, rids):
            return "Message done DCID \(dcid) MID \(mid) to RID \(list(rids))"
        case let .messageFinished(mid, outcome):
            return "Message finished MID \(mid) \(outcome)"
        case let .deliveryClose(dcid):
            return "DCID \(dcid) close"
        case let .bounced(dcid, mid, rid, enhanced, reason, reply):
            return "Bounced: \(dcid.map { "DCID \($0) " } ?? "")MID \(mid) to RID \(rid) - \(enhanced) - \(reason) (\(reply))"
        case let .delayed(dcid, mid, rid, enhanced, reason):
            return "Delayed: \(dcid.map { "DCID \($0) " } ?? "")MID \(mid) to RID \(rid) - \(enhanced) - \(reason)"
        case let .connectionError(dcid, address, details, interface, reason):
            return "Connection Error: DCID: \(dcid) IP: \(address) details: \(details) interface: \(interface) reason: \(reason)"
        case let .bounceQueued(mid, bounceMID):
            return "MID \(bounceMID) was generated based on MID \(mid) by bounce"
        case let .alert(text):
            return "Alert: \(text)"
        }
    }

    /// A name the client chose, made safe for one log line: control characters and
    /// non-ASCII become `\xNN`/`\u{N}`, and it is cut at 256 characters.
    static func printable(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars.prefix(256) {
            if scalar.value < 0x20 || scalar.value == 0x7f {
                out += "\\x" + String(scalar.value, radix: 16)
            } else if scalar.value > 0x7e {
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

extension [UInt8] {
    /// Appends each part: text as its UTF-8 bytes, a number in decimal.
    mutating func put<each Part: LogLinePart>(_ parts: repeat each Part) {
        repeat (each parts).write(to: &self)
    }
}

/// A piece of a log line `write(to:)` puts together.
protocol LogLinePart {
    func write(to bytes: inout [UInt8])
}

extension String: LogLinePart {
    func write(to bytes: inout [UInt8]) {
        var text = self
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }
}

extension Int: LogLinePart {
    func write(to bytes: inout [UInt8]) {
        guard self != 0 else { return bytes.append(UInt8(ascii: "0")) }
        if self < 0 { bytes.append(UInt8(ascii: "-")) }
        var rest = self.magnitude
        let start = bytes.count
        while rest > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(rest % 10))
            rest /= 10
        }
        bytes[start...].reverse()  // the digits went in least significant first
    }
}
