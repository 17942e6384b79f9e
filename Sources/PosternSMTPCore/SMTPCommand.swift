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
    /// Works on the UTF-8 bytes: this runs for every line of every session.
    public static func parse(_ line: String, defaultDomain: String = "") -> Result<SMTPCommand, SMTPParseError> {
        let trimmed = line[...].utf8.trimmingSpaces()
        let verbEnd = trimmed.firstIndex(of: 0x20) ?? trimmed.endIndex
        guard let verb = SMTPVerb(ascii: trimmed[..<verbEnd]) else { return .failure(.unrecognized) }
        let arg = Substring(trimmed[verbEnd...].trimmingSpaces())
        switch verb {
        case .helo, .ehlo:
            guard !arg.isEmpty, !arg.utf8.contains(0x20) || verb == .ehlo else { return .failure(.syntax(Replies.syntax)) }
            let name = String(arg.utf8.prefix { $0 != 0x20 })!
            // RFC 5321 §4.1.1.1: a domain or an address literal, nothing else: the name goes
            // into the Received: header and the log, so control bytes must never pass.
            guard MailPath.isDomain(Substring(name)) else { return .failure(.syntax(Replies.badHelloName)) }
            return .success(verb == .helo ? .helo(name) : .ehlo(name))
        case .mail:
            return parseMail(arg, defaultDomain: defaultDomain)
        case .rcpt:
            guard arg.utf8.hasPrefix(caseInsensitive: "TO:") else { return .failure(.syntax(Replies.syntax)) }
            let pathText = arg.utf8.dropFirst(3).drop { $0 == 0x20 }
            let path = pathText.prefix { $0 != 0x20 }
            if pathText.count > path.count { return .failure(.syntax(Replies.unsupportedParameter)) }
            switch MailPath.parse(Substring(path), allowNull: false, allowPostmaster: true, defaultDomain: defaultDomain) {
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
            return .success(.vrfy(String(arg)))
        case .auth:
            return .success(.auth(String(arg)))
        }
    }

    private static func parseMail(_ arg: Substring, defaultDomain: String) -> Result<SMTPCommand, SMTPParseError> {
        guard arg.utf8.hasPrefix(caseInsensitive: "FROM:") else { return .failure(.syntax(Replies.syntax)) }
        let words = arg.utf8.dropFirst(5).split(separator: 0x20)
        guard let pathText = words.first else { return .failure(.syntax(Replies.badSender("the address is empty"))) }
        let path: MailPath
        switch MailPath.parse(Substring(pathText), allowNull: true, defaultDomain: defaultDomain) {
        case .success(let p): path = p
        case .failure(let e): return .failure(.syntax(Replies.badSender(e.description)))
        }
        var parameters = MailParameters()
        for word in words.dropFirst() {
            let equals = word.firstIndex(of: UInt8(ascii: "=")) ?? word.endIndex
            let key = word[..<equals]
            let value = equals == word.endIndex ? nil : word[word.index(after: equals)...]
            if key.equals(caseInsensitive: "SIZE"), let value {
                guard let size = Int(Substring(value)), size >= 0 else { return .failure(.syntax(Replies.syntax)) }
                parameters.declaredSize = size
            } else if key.equals(caseInsensitive: "BODY"), let value, value.equals(caseInsensitive: "8BITMIME") {
                parameters.body8Bit = true
            } else if key.equals(caseInsensitive: "BODY"), let value, value.equals(caseInsensitive: "7BIT") {
                parameters.body8Bit = false
            } else {
                return .failure(.syntax(Replies.unsupportedParameter))
            }
        }
        return .success(.mail(path, parameters))
    }
}

extension SMTPVerb {
    /// The verb spelled by `bytes` in any case, without building a String.
    init?(ascii bytes: Substring.UTF8View) {
        // Every verb fits in 8 bytes: fold the word to upper case into one integer and look
        // that up, instead of comparing it with each verb's name in turn.
        guard let key = SMTPVerb.key(bytes), let verb = SMTPVerb.byKey.first(where: { $0.key == key })?.verb else {
            return nil
        }
        self = verb
    }

    /// The word's bytes, upper-cased, big-endian in a UInt64; nil past 8 bytes.
    private static func key<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> UInt64? {
        var key: UInt64 = 0
        var count = 0
        for byte in bytes {
            count += 1
            // No verb holds a NUL, and a leading one would shift out of the key unseen.
            guard count <= 8, byte != 0 else { return nil }
            key = key << 8 | UInt64(byte >= 0x61 && byte <= 0x7a ? byte - 0x20 : byte)
        }
        return key
    }

    private static let byKey: [(key: UInt64, verb: SMTPVerb)] = allCases.map { (key($0.rawValue.utf8)!, $0) }
}

extension Substring.UTF8View {
    /// Without leading and trailing spaces.
    func trimmingSpaces() -> Substring.UTF8View {
        var slice = self
        while slice.first == 0x20 { slice = slice.dropFirst() }
        while slice.last == 0x20 { slice = slice.dropLast() }
        return slice
    }

    /// ASCII case-insensitive equality with an upper-case literal.
    func equals(caseInsensitive upper: String) -> Bool {
        count == upper.utf8.count && hasPrefix(caseInsensitive: upper)
    }

    /// ASCII case-insensitive prefix test against an upper-case literal.
    func hasPrefix(caseInsensitive upper: String) -> Bool {
        var mine = makeIterator()
        for expected in upper.utf8 {
            guard let byte = mine.next() else { return false }
            let folded = byte >= 0x61 && byte <= 0x7a ? byte - 0x20 : byte
            guard folded == expected else { return false }
        }
        return true
    }
}
