/// A line of the AsyncOS-format mail log (asyncos-cli.md §7). The engine adds the time
/// and level prefix (`Sun Nov 29 10:00:00 2026 Info: `).
public enum MailLogEvent: Sendable, Hashable {
    case newConnection(icid: Int, interface: String, interfaceAddress: String, remote: String, reverseName: String,
                       verified: Bool)
    case policyMatch(icid: Int, behavior: String, group: String?, entry: String, sbrs: String)
    case tlsSuccess(icid: Int, protocol: String, cipher: String)
    case tlsFailed(icid: Int, reason: String)
    case tlsRequiredNotInitiated(icid: Int)
    case plaintextDiscarded(icid: Int, bytes: Int)
    case clientCertificate(icid: Int, subject: String, verified: Bool)
    case startMessage(mid: Int, icid: Int)
    case sender(mid: Int, icid: Int, address: String)
    case recipient(mid: Int, icid: Int, rid: Int, address: String)
    case recipientRejected(mid: Int, icid: Int, address: String)
    case messageID(mid: Int, id: String)
    case subject(mid: Int, subject: String)
    case ready(mid: Int, bytes: Int, from: String)
    case queued(mid: Int)
    case receivingFailed(icid: Int, reason: String)
    case close(icid: Int)
    case lost(icid: Int)

    public enum Level: String, Sendable {
        case info = "Info"
        case warning = "Warning"
    }

    public var level: Level {
        switch self {
        case .tlsFailed, .tlsRequiredNotInitiated, .plaintextDiscarded, .receivingFailed: return .warning
        default: return .info
        }
    }

    public var line: String {
        switch self {
        case let .newConnection(icid, interface, address, remote, name, verified):
            return "New SMTP ICID \(icid) interface \(interface) (\(address)) address \(remote) reverse dns host \(name) "
                + "verified \(verified ? "yes" : "no")"
        case let .policyMatch(icid, behavior, group, entry, sbrs):
            return "ICID \(icid) \(behavior) SG \(group ?? "None") match \(entry) SBRS \(sbrs)"
        case let .tlsSuccess(icid, proto, cipher):
            return "ICID \(icid) TLS success protocol \(proto) cipher \(cipher)"
        case let .tlsFailed(icid, reason):
            return "ICID \(icid) TLS failed: \(reason)"
        case let .tlsRequiredNotInitiated(icid):
            return "ICID \(icid) TLS was required but remote host did not initiate it"
        case let .plaintextDiscarded(icid, bytes):
            return "ICID \(icid) discarded \(bytes) plaintext bytes pipelined after STARTTLS"
        case let .clientCertificate(icid, subject, verified):
            return "ICID \(icid) client certificate \(subject) verified \(verified ? "yes" : "no")"
        case let .startMessage(mid, icid):
            return "Start MID \(mid) ICID \(icid)"
        case let .sender(mid, icid, address):
            return "MID \(mid) ICID \(icid) From: <\(address)>"
        case let .recipient(mid, icid, rid, address):
            return "MID \(mid) ICID \(icid) RID \(rid) To: <\(address)>"
        case let .recipientRejected(mid, icid, address):
            return "MID \(mid) ICID \(icid) To: <\(address)> Rejected by RAT"
        case let .messageID(mid, id):
            return "MID \(mid) Message-ID '\(id)'"
        case let .subject(mid, subject):
            return "MID \(mid) Subject '\(subject)'"
        case let .ready(mid, bytes, from):
            return "MID \(mid) ready \(bytes) bytes from <\(from)>"
        case let .queued(mid):
            return "MID \(mid) queued for delivery"
        case let .receivingFailed(icid, reason):
            return "ICID \(icid) Receiving Failed: \(reason)"
        case let .close(icid):
            return "ICID \(icid) close"
        case let .lost(icid):
            return "ICID \(icid) lost"
        }
    }
}
