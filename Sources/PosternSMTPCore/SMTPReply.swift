import Foundation
import NIOCore
import PosternConfig

/// An SMTP reply: a code and one or more lines of text (RFC 5321 §4.2).
public struct SMTPReply: Hashable, Sendable, CustomStringConvertible {
    public let code: Int
    public let lines: [String]

    public init(_ code: Int, _ lines: [String]) {
        self.code = code
        self.lines = lines.isEmpty ? [""] : lines
    }

    /// A reply whose text may hold several lines, separated by `\n`.
    public init(_ code: Int, _ text: String) {
        // Most replies are one line: split only when there is a newline, and on bytes (a
        // split on Characters would run grapheme breaking over every reply).
        let hasNewline = text.utf8.withContiguousStorageIfAvailable { !$0.isEmpty && memchr($0.baseAddress!, 0x0A, $0.count) != nil }
            ?? text.utf8.contains(UInt8(ascii: "\n"))
        guard hasNewline else {
            self.init(code, [text])
            return
        }
        self.init(code, text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map {
            String(Substring($0))
        })
    }

    /// The wire form: `250-first`, …, `250 last`, each ending CRLF.
    public var wire: String {
        var buffer = ByteBuffer()
        buffer.writeSMTPReply(self)
        return String(buffer: buffer)
    }

    /// The bytes of the wire form.
    public var wireLength: Int {
        let prefix = SMTPReply.digits(code) + 3  // the code, "-" or " ", CRLF
        return lines.reduce(0) { $0 + $1.utf8.count + prefix }
    }

    /// How many decimal digits `code` takes (a reply code is three; a custom one is checked elsewhere).
    static func digits(_ code: Int) -> Int {
        (100...999).contains(code) ? 3 : String(code).utf8.count
    }

    public var isPositive: Bool { code < 400 }
    public var description: String { wire.replacing("\r\n", with: "\n").trimmingTrailingNewline() }
}

extension ByteBuffer {
    /// Writes `reply` in its wire form straight into the buffer, with no string in between
    /// (the engine's replies go out this way): `250-first`, …, `250 last`, each ending CRLF;
    /// an empty last line is the bare code.
    public mutating func writeSMTPReply(_ reply: SMTPReply) {
        // One write of the whole reply: the ByteBuffer checks its capacity and uniqueness once,
        // not for every piece.
        var code = String(reply.code)  // a small string: no allocation
        code.withUTF8 { code in
            _ = writeWithUnsafeMutableBytes(minimumWritableBytes: reply.wireLength) { out in
                var at = 0
                func put(_ bytes: UnsafeRawBufferPointer) {
                    guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
                    out.baseAddress!.advanced(by: at).copyMemory(from: base, byteCount: bytes.count)
                    at += bytes.count
                }
                func put(_ byte: UInt8) {
                    out[at] = byte
                    at += 1
                }
                for (i, line) in reply.lines.enumerated() {
                    put(UnsafeRawBufferPointer(code))
                    let last = i == reply.lines.count - 1
                    if !(last && line.isEmpty) {
                        put(last ? UInt8(ascii: " ") : UInt8(ascii: "-"))
                        var line = line
                        line.withUTF8 { put(UnsafeRawBufferPointer($0)) }
                    }
                    put(UInt8(ascii: "\r"))
                    put(UInt8(ascii: "\n"))
                }
                return at
            }
        }
    }
}

extension String {
    func trimmingTrailingNewline() -> String {
        var s = self
        while s.hasSuffix("\n") { s.removeLast() }
        return s
    }
}

/// Every reply text the engine sends, in one place. Texts marked [S] are AsyncOS's own
/// (asyncos-cli.md §1.4, §3.1) or RFC 3207's and are reproduced exactly; the rest carry
/// RFC 2034 enhanced status codes, which EHLO advertises.
public enum Replies {
    public static func greeting(_ host: String) -> SMTPReply { SMTPReply(220, "\(host) ESMTP") }

    /// A custom acceptance or rejection banner (hostname first, as the default banner).
    public static func banner(code: Int, host: String, text: String) -> SMTPReply {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        return SMTPReply(code, ["\(host) \(lines[0])"] + lines.dropFirst())
    }

    public static func rejectBanner(_ host: String) -> SMTPReply { SMTPReply(554, "\(host) Access denied") }
    public static func helo(_ host: String) -> SMTPReply { SMTPReply(250, host) }
    public static func quit(_ host: String) -> SMTPReply { SMTPReply(221, "2.0.0 \(host) closing connection") }
    public static let ok = SMTPReply(250, "2.0.0 Ok")
    public static func sender(_ path: String) -> SMTPReply { SMTPReply(250, "2.1.0 sender <\(path)> ok") }
    public static func recipient(_ path: String) -> SMTPReply { SMTPReply(250, "2.1.5 recipient <\(path)> ok") }
    public static let startData = SMTPReply(354, "go ahead")
    public static func accepted(mid: Int) -> SMTPReply { SMTPReply(250, "2.0.0 Ok: Message \(mid) accepted") }
    public static let vrfy = SMTPReply(252, "2.5.2 Cannot VRFY user, but will accept message and attempt delivery")
    /// [S] asyncos-cli.md §3.1, S6.
    public static let help = SMTPReply(214, [
        "The following commands are recognized", " auth data ehlo helo", " help mail noop quit", "rcpt rset vrfy",
    ])
    /// [I] asyncos-cli.md §3.1.
    public static let startTLS = SMTPReply(220, "Go ahead with TLS")
    public static let tlsNotAvailable = SMTPReply(454, "4.7.0 TLS not available")
    /// RFC 3207 §4: the temporary form, for a full concurrent TLS limit.
    public static let tlsBusy = SMTPReply(454, "4.7.0 TLS not available due to temporary reason")
    public static let tlsAlreadyActive = SMTPReply(503, "5.5.1 TLS already active")
    /// [S] RFC 3207 §4.
    public static let mustStartTLS = SMTPReply(530, "Must issue a STARTTLS command first")
    /// [S] S6.
    public static let unrecognized = SMTPReply(500, "#5.5.1 command not recognized")
    /// [S] S6.
    public static let tooManyBadCommands = SMTPReply(421, "Exceeded bad SMTP command limit, disconnecting.")
    /// [I] Postfix's smtpd_hard_error_limit, in AsyncOS's words for its bad command limit.
    public static let tooManyRefusals = SMTPReply(421, "4.7.0 Exceeded refused SMTP command limit, disconnecting.")
    /// [S] asyncos-cli.md §1.4.
    public static let idleTimeout = SMTPReply(421, "Timed out waiting for successful message injection, disconnecting.")
    /// [S] asyncos-cli.md §1.4.
    public static let connectionTimeLimit = SMTPReply(421, "Exceeded allowable connection time, disconnecting.")
    public static let lineTooLong = SMTPReply(500, "5.5.2 Line too long")
    public static let needHelo = SMTPReply(503, "5.5.1 Send HELO/EHLO first")
    public static let needMail = SMTPReply(503, "5.5.1 Need MAIL before RCPT")
    public static let needMailBeforeData = SMTPReply(503, "5.5.1 Need MAIL before DATA")
    public static let needRecipient = SMTPReply(503, "5.5.1 Need RCPT before DATA")
    public static let nestedMail = SMTPReply(503, "5.5.1 Sender already specified")
    public static let badSequence = SMTPReply(503, "5.5.1 Bad sequence of commands")
    public static let noValidRecipients = SMTPReply(554, "5.5.1 No valid recipients")
    public static let syntax = SMTPReply(501, "5.5.4 Syntax error in parameters or arguments")
    public static let badHelloName = SMTPReply(501, "5.5.4 Syntax error: EHLO/HELO needs a domain or an address literal")
    /// Postfix's smtpd_forbid_bare_newline wording.
    public static let bareLineEnding = SMTPReply(550, "5.5.2 Error: bare <CR> or <LF> received")
    /// RFC 5321 §6.3: a mail loop (Postfix counts Received: headers up to 50).
    public static let tooManyHops = SMTPReply(554, "5.4.6 Too many hops")
    public static func badSender(_ why: String) -> SMTPReply { SMTPReply(501, "5.1.7 Bad sender address syntax: \(why)") }
    public static func badRecipient(_ why: String) -> SMTPReply {
        SMTPReply(501, "5.1.3 Bad recipient address syntax: \(why)")
    }
    public static let unsupportedParameter = SMTPReply(555, "5.5.4 Unsupported MAIL or RCPT parameter")
    public static let declaredSizeTooLarge = SMTPReply(552, "5.3.4 Message size exceeds fixed maximum message size")
    /// [I] asyncos-cli.md §3.1.
    public static let messageTooLarge = SMTPReply(552, "#5.3.4 message size exceeds limit")
    /// [I] asyncos-cli.md §3.1.
    public static let tooManyRecipients = SMTPReply(452, "#4.5.3 Too many recipients")
    /// The policy's "limit exceeded" response; its text when none is set is [I].
    public static func recipientsPerHourExceeded(_ response: SMTPResponse) -> SMTPReply {
        SMTPReply(response.code, response.text.isEmpty ? "#4.5.3 Too many recipients received this hour" : response.text)
    }
    /// [I] asyncos-cli.md §3.1.
    public static func addressRejected(_ path: String) -> SMTPReply { SMTPReply(550, "#5.1.0 Address rejected \(path)") }
    public static let tooManyMessages = SMTPReply(452, "4.5.3 Too many messages in this session")
    public static let tooManyHeaderLines = SMTPReply(552, "5.3.4 Too many header lines")
    public static let storageFailure = SMTPReply(451, "4.3.0 Local error in processing; message not accepted")
    /// No message ID could be reserved durably (a full or read-only disk): refused, never reused.
    public static let noMessageID = SMTPReply(451, "4.3.0 Local error in processing; try again later")
    /// The same at connection time (no connection ID).
    public static let noConnectionID = SMTPReply(421, "4.3.0 Local error in processing; try again later")
    /// The engine holds as many message bytes as its budget allows (Postfix's answer when
    /// the queue has no room).
    public static let insufficientStorage = SMTPReply(452, "4.3.1 Insufficient system storage")
    /// postscreen's answer to a client that talks before the greeting.
    public static let pregreet = SMTPReply(521, "5.5.1 Protocol error")
    public static let rejected = SMTPReply(503, "5.5.1 Connection refused by policy; send QUIT")
    public static let dnsTemporaryFailure = SMTPReply(421, "4.4.3 Temporary failure looking up your host; try again later")
    public static let tooManyConnectionsFromIP = SMTPReply(
        421, "4.4.5 Too many concurrent connections from your address; try again later")
    public static let tooManyConnections = SMTPReply(421, "4.4.5 Too many concurrent connections; try again later")
    public static let shuttingDown = SMTPReply(421, "4.3.2 Service shutting down, closing transmission channel")
    /// A sender on the policy's TLS-mandatory address list, in plaintext: "the sender will have
    /// to try again using TLS" (asyncos-cli.md §3.1); the wording is [I].
    public static func tlsRequiredForSender(_ path: String) -> SMTPReply {
        SMTPReply(530, "5.7.0 TLS is required for mail from <\(path)>; try again using STARTTLS")
    }
    public static let tlsRequiredClientCertificate = SMTPReply(
        530, "5.7.0 A valid client certificate is required; issue STARTTLS with one")
}
