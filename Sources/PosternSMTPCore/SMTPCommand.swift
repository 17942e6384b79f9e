/// The commands Postern knows (asyncos-cli.md §3.1: auth, data, ehlo, helo, help, mail,
/// noop, quit, rcpt, rset, starttls, vrfy), with the attributes the session checks.
public enum SMTPVerb: String, CaseIterable, Sendable {
    case helo = "HELO"
    case ehlo = "EHLO"
    case mail = "MAIL"
    case rcpt = "RCPT"
    case data = "DATA"
    case rset = "RSET"
    case noop = "NOOP"
    case quit = "QUIT"
    case vrfy = "VRFY"
    case help = "HELP"
    case starttls = "STARTTLS"
    case auth = "AUTH"

    /// Allowed before STARTTLS when the policy requires TLS (RFC 3207 §4; DESIGN.md).
    public var allowedBeforeRequiredTLS: Bool {
        switch self {
        case .noop, .ehlo, .quit, .starttls: return true
        case .helo, .mail, .rcpt, .data, .rset, .vrfy, .help, .auth: return false
        }
    }
}

/// One parsed command line.
public enum SMTPCommand: Hashable, Sendable {
    case helo(String)
    case ehlo(String)
    case mail(MailPath, MailParameters)
    case rcpt(MailPath)
    case data
    case rset
    case noop
    case quit
    case vrfy(String)
    case help
    case starttls
    case auth(String)

    public var verb: SMTPVerb {
        switch self {
        case .helo: return .helo
        case .ehlo: return .ehlo
        case .mail: return .mail
        case .rcpt: return .rcpt
        case .data: return .data
        case .rset: return .rset
        case .noop: return .noop
        case .quit: return .quit
        case .vrfy: return .vrfy
        case .help: return .help
        case .starttls: return .starttls
        case .auth: return .auth
        }
    }
}

/// ESMTP parameters of MAIL FROM that Postern supports.
public struct MailParameters: Hashable, Sendable {
    /// `SIZE=n` (RFC 1870).
    public var declaredSize: Int?
    /// `BODY=8BITMIME` (RFC 6152) or `BODY=7BIT`.
    public var body8Bit: Bool = false

    public init() {}
}

/// Why a line is not a command the session can act on.
public enum SMTPParseError: Error, Hashable, Sendable {
    /// Not a verb Postern knows.
    case unrecognized
    /// A known verb with bad arguments; the reply says what.
    case syntax(SMTPReply)
}

public enum SMTPCommandParser {
    /// Parses a command line (without CRLF). Verbs are case-insensitive (RFC 5321 §2.4).
    public static func parse(_ line: String, defaultDomain: String = "") -> Result<SMTPCommand, SMTPParseError> {
        let trimmed = line.drop { $0 == " " }
        let verbText = trimmed.prefix { $0 != " " }
        guard let verb = SMTPVerb(rawValue: verbText.uppercased()) else { return .failure(.unrecognized) }
        let argument = trimmed.dropFirst(verbText.count).drop { $0 == " " }
        let rest = argument.reversed().drop { $0 == " " }.reversed()
        let arg = String(rest)
        switch verb {
        case .helo, .ehlo:
            guard !arg.isEmpty, !arg.contains(" ") || verb == .ehlo else { return .failure(.syntax(Replies.syntax)) }
            let name = String(arg.prefix { $0 != " " })
            return .success(verb == .helo ? .helo(name) : .ehlo(name))
        case .mail:
            return parseMail(Substring(arg), defaultDomain: defaultDomain)
        case .rcpt:
            guard arg.uppercased().hasPrefix("TO:") else { return .failure(.syntax(Replies.syntax)) }
            let pathText = arg.dropFirst(3).drop { $0 == " " }
            let path = pathText.prefix { $0 != " " }
            if pathText.count > path.count { return .failure(.syntax(Replies.unsupportedParameter)) }
            switch MailPath.parse(path, allowNull: false, defaultDomain: defaultDomain) {
            case .success(let p): return .success(.rcpt(p))
            case .failure(let e): return .failure(.syntax(Replies.badRecipient(e.description)))
            }
        case .data, .rset, .quit, .starttls:
            guard arg.isEmpty else { return .failure(.syntax(SMTPReply(501, "5.5.4 Syntax error (no parameters allowed)"))) }
            switch verb {
            case .data: return .success(.data)
            case .rset: return .success(.rset)
            case .quit: return .success(.quit)
            default: return .success(.starttls)
            }
        case .noop:
            return .success(.noop)
        case .help:
            return .success(.help)
        case .vrfy:
            guard !arg.isEmpty else { return .failure(.syntax(Replies.syntax)) }
            return .success(.vrfy(arg))
        case .auth:
            return .success(.auth(arg))
        }
    }

    private static func parseMail(_ arg: Substring, defaultDomain: String) -> Result<SMTPCommand, SMTPParseError> {
        guard arg.uppercased().hasPrefix("FROM:") else { return .failure(.syntax(Replies.syntax)) }
        let rest = arg.dropFirst(5).drop { $0 == " " }
        let words = rest.split(separator: " ")
        guard let pathText = words.first else { return .failure(.syntax(Replies.badSender("the address is empty"))) }
        let path: MailPath
        switch MailPath.parse(pathText, allowNull: true, defaultDomain: defaultDomain) {
        case .success(let p): path = p
        case .failure(let e): return .failure(.syntax(Replies.badSender(e.description)))
        }
        var parameters = MailParameters()
        for word in words.dropFirst() {
            let parts = word.split(separator: "=", maxSplits: 1)
            let key = parts[0].uppercased()
            let value = parts.count > 1 ? String(parts[1]) : nil
            switch (key, value?.uppercased()) {
            case ("SIZE", let v?):
                guard let size = Int(v), size >= 0 else { return .failure(.syntax(Replies.syntax)) }
                parameters.declaredSize = size
            case ("BODY", "8BITMIME"): parameters.body8Bit = true
            case ("BODY", "7BIT"): parameters.body8Bit = false
            default: return .failure(.syntax(Replies.unsupportedParameter))
            }
        }
        return .success(.mail(path, parameters))
    }
}
